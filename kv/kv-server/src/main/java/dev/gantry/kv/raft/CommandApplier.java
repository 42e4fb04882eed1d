package dev.gantry.kv.raft;

import java.util.List;

import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandError;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.auth.Access;
import dev.gantry.kv.auth.AuthApplier;
import dev.gantry.kv.auth.TokenChange;
import dev.gantry.kv.cluster.Membership;
import dev.gantry.kv.mvcc.AlarmApplier;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.mvcc.KvApplier;
import dev.gantry.kv.mvcc.LeaseApplier;
import dev.gantry.kv.mvcc.MvccView;

/**
 * Applies the commands of one Raft entry, in order, each with its own revision and its own result. An etcd
 * error fails only its command: checks (alarms, then the client's permissions) run before writes, so a failed
 * command has changed nothing.
 */
final class CommandApplier {
    private CommandApplier() {
    }

    /** {@code tokens} collects what the batch did to the tokens members keep in memory. */
    static BatchResult apply(MvccView view, CommandBatch batch, List<TokenChange> tokens) {
        BatchResult.Builder results = BatchResult.newBuilder();
        for (Command command : batch.getCommandsList()) {
            results.addResults(apply(view, command, tokens));
        }
        return results.build();
    }

    private static CommandResult apply(MvccView view, Command command, List<TokenChange> tokens) {
        view.beginCommand();
        try {
            checkAlarms(view, command);
            Access.checkCommand(view, command);
            CommandResult.Builder result = CommandResult.newBuilder();
            switch (command.getOpCase()) {
                case PUT -> result.setPut(KvApplier.put(view, command.getPut()));
                case DELETE_RANGE -> result.setDeleteRange(KvApplier.deleteRange(view, command.getDeleteRange()));
                case TXN -> result.setTxn(KvApplier.txn(view, command.getTxn()));
                case COMPACTION -> result.setCompaction(KvApplier.compact(view, command.getCompaction()));
                case LEASE_GRANT -> result.setLeaseGrant(LeaseApplier.grant(view, command.getLeaseGrant()));
                case LEASE_REVOKE -> result.setLeaseRevoke(LeaseApplier.revoke(view, command.getLeaseRevoke()));
                case ALARM -> result.setAlarm(AlarmApplier.apply(view, command.getAlarm()));
                case PUBLISH_MEMBER -> result.setMembers(changeMembers(view, Membership.publish(view.members(), command.getPublishMember())));
                case MEMBER_ADD -> result.setMembers(changeMembers(view, Membership.add(view.members(), command.getMemberAdd())));
                case MEMBER_REMOVE -> result.setMembers(changeMembers(view, Membership.remove(view.members(), command.getMemberRemove())));
                case MEMBER_UPDATE -> result.setMembers(changeMembers(view, Membership.update(view.members(), command.getMemberUpdate())));
                case MEMBER_PROMOTE -> result.setMembers(changeMembers(view, Membership.promote(view.members(), command.getMemberPromote())));
                case AUTH_ENABLE, AUTH_DISABLE, ISSUE_TOKEN, USER_ADD, USER_DELETE, USER_CHANGE_PASSWORD, USER_GRANT_ROLE,
                     USER_REVOKE_ROLE, ROLE_ADD, ROLE_DELETE, ROLE_GRANT_PERMISSION, ROLE_REVOKE_PERMISSION -> {
                    AuthApplier.apply(view, command, tokens);
                    result.setDone(true);
                }
                default -> throw new IllegalStateException("unknown command in the Raft log: " + command.getOpCase());
            }
            return result.build();
        } catch (EtcdException e) {
            if (view.changedInCommand()) {
                throw new IllegalStateException("command failed after it wrote: " + e.getMessage(), e);
            }
            return CommandResult.newBuilder()
                    .setError(CommandError.newBuilder().setCode(e.code()).setMessage(e.getMessage()))
                    .build();
        } finally {
            view.endCommand();
        }
    }

    /** What an active alarm refuses: decided here, at apply time, so that every member decides the same. */
    private static void checkAlarms(MvccView view, Command command) {
        switch (command.getOpCase()) {
            case PUT, LEASE_GRANT -> {
                AlarmApplier.checkNotCorrupt(view);
                AlarmApplier.checkSpace(view, true);
            }
            case TXN -> {
                AlarmApplier.checkNotCorrupt(view);
                AlarmApplier.checkSpace(view, AlarmApplier.hasPut(command.getTxn()));
            }
            case DELETE_RANGE, COMPACTION, LEASE_REVOKE -> AlarmApplier.checkNotCorrupt(view);
            default -> {
            }
        }
    }

    private static MemberSet changeMembers(MvccView view, MemberSet members) {
        view.setMembers(members);
        return members;
    }
}

