package dev.gantry.kv.mvcc;

import java.util.ArrayList;
import java.util.List;

import dev.gantry.kv.api.etcd.AlarmMember;
import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmResponse;
import dev.gantry.kv.api.etcd.AlarmType;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.TxnRequest;

/**
 * etcd's alarms: a replicated list of (member, alarm type), raised and cleared through Raft, so every member
 * agrees on it at every index. While a NOSPACE alarm is active the applier refuses what would grow the store
 * (etcd's capped applier); while a CORRUPT alarm is active it refuses every KV and lease write (etcd's
 * corrupt applier).
 */
public final class AlarmApplier {
    private AlarmApplier() {
    }

    /** The alarms of one type; all of them for {@code NONE} (etcd ignores the member ID when listing). */
    public static List<AlarmMember> list(MvccView view, AlarmType type) {
        return view.alarms().stream().filter(a -> type == AlarmType.NONE || a.getAlarm() == type).toList();
    }

    /**
     * ACTIVATE adds the alarm unless the member already has it, DEACTIVATE removes it if present; either
     * answers with the alarm concerned, or with none if there was nothing to remove, as etcd does.
     */
    public static AlarmResponse apply(MvccView view, AlarmRequest r) {
        AlarmMember alarm = AlarmMember.newBuilder().setMemberID(r.getMemberID()).setAlarm(r.getAlarm()).build();
        List<AlarmMember> alarms = new ArrayList<>(view.alarms());
        AlarmResponse.Builder resp = AlarmResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()));
        switch (r.getAction()) {
            case ACTIVATE -> {
                if (!alarms.contains(alarm)) {
                    alarms.add(alarm);
                    view.setAlarms(alarms);
                }
                resp.addAlarms(alarm);
            }
            case DEACTIVATE -> {
                if (alarms.remove(alarm)) {
                    view.setAlarms(alarms);
                    resp.addAlarms(alarm);
                }
            }
            default -> throw new IllegalStateException("alarm action " + r.getAction() + " in the Raft log");
        }
        return resp.build();
    }

    /** etcd's capped applier, while NOSPACE is active: no put, no lease grant, no txn with a put. */
    public static void checkSpace(MvccView view, boolean grows) {
        if (grows && has(view, AlarmType.NOSPACE)) {
            throw EtcdError.NO_SPACE.exception();
        }
    }

    /** etcd's corrupt applier, while CORRUPT is active: no KV or lease write at all. */
    public static void checkNotCorrupt(MvccView view) {
        if (has(view, AlarmType.CORRUPT)) {
            throw EtcdError.CORRUPT.exception();
        }
    }

    /**
     * Whether a txn puts anything on any branch, nested txns included (etcd 3.4 looks at the top level only;
     * a nested put grows the store just the same).
     */
    public static boolean hasPut(TxnRequest r) {
        return hasPut(r.getSuccessList()) || hasPut(r.getFailureList());
    }

    private static boolean hasPut(List<RequestOp> ops) {
        for (RequestOp op : ops) {
            if (op.hasRequestPut() || op.hasRequestTxn() && hasPut(op.getRequestTxn())) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(MvccView view, AlarmType type) {
        return view.alarms().stream().anyMatch(a -> a.getAlarm() == type);
    }
}
