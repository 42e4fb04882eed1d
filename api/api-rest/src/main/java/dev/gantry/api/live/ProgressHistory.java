package dev.gantry.api.live;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.gantry.job.Progress;
import dev.gantry.job.Task;

/**
 * The progress records of tasks, oldest first: a task's value holds only its latest {@link Progress}, so the loss
 * curve is kept here, appended to as each new value is seen. Bounded twice: at most {@link #POINTS} points per
 * task (when full, every other point is dropped, so the whole curve keeps its shape at half the resolution) and at
 * most {@link #TASKS} tasks (the one updated longest ago is forgotten first).
 *
 * <p>Kept in this server's memory only: a server started while a task runs has its curve from then on, and each
 * server of a cluster keeps its own.
 */
public final class ProgressHistory {
    static final int POINTS = 1000;
    static final int TASKS = 2000;

    /** One progress record: the step, loss and percentage the agent reported, and when. */
    public record Point(Long step, Long totalSteps, Double loss, Double percent, Instant at) {
        static Point of(Progress progress) {
            return new Point(progress.step(), progress.totalSteps(), progress.loss(), progress.percent(), progress.updatedAt());
        }
    }

    /** A task's curve for one attempt: a requeued task starts a new curve. */
    public record Curve(int attempt, List<Point> points) {
    }

    private static final class Series {
        final int attempt;
        final List<Point> points = new ArrayList<>();

        Series(int attempt) {
            this.attempt = attempt;
        }
    }

    private final int pointsPerTask;
    private final Map<String, Series> series;

    public ProgressHistory() {
        this(POINTS, TASKS);
    }

    ProgressHistory(int pointsPerTask, int tasks) {
        this.pointsPerTask = pointsPerTask;
        this.series = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Series> eldest) {
                return size() > tasks;
            }
        };
    }

    /** Records the task's progress if it is new (another step or another update time than the last point). */
    public synchronized void record(Task task) {
        Progress progress = task.progress();
        if (progress == null) {
            return;
        }
        Series s = series.get(task.id());
        if (s == null || s.attempt != task.attempt()) {
            s = new Series(task.attempt());
            series.put(task.id(), s);
        }
        Point point = Point.of(progress);
        if (!s.points.isEmpty() && s.points.getLast().equals(point)) {
            return;
        }
        s.points.add(point);
        if (s.points.size() > pointsPerTask) {
            thin(s.points);
        }
    }

    /** Keeps the first point, every second one after it, and the last. */
    private static void thin(List<Point> points) {
        Point last = points.getLast();
        List<Point> kept = new ArrayList<>(points.size() / 2 + 2);
        for (int i = 0; i < points.size() - 1; i += 2) {
            kept.add(points.get(i));
        }
        kept.add(last);
        points.clear();
        points.addAll(kept);
    }

    public synchronized Curve curve(String taskId) {
        Series s = series.get(taskId);
        return s == null ? new Curve(0, List.of()) : new Curve(s.attempt, List.copyOf(s.points));
    }

    public synchronized void forget(String taskId) {
        series.remove(taskId);
    }
}
