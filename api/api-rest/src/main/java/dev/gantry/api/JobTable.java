package dev.gantry.api;

import java.util.List;

/**
 * {@code GET /api/v1/views/jobs}: one page of the filtered, sorted jobs, with how many matched in all.
 *
 * @param total    how many jobs match the filters
 * @param revision the store revision the live copy was current to
 */
public record JobTable(List<JobRow> items, int total, int offset, int limit, String sort, long revision) {
}
