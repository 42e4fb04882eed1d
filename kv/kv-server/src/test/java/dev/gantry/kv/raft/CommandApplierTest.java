package dev.gantry.kv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.AlarmMember;
import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmType;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.StoreFixture;
import dev.gantry.kv.mvcc.MvccView;

/** Alarms as the state machine applies them: replicated in the store, and what they refuse while active. */
class CommandApplierTest extends StoreFixture {
    @Test
    void aNospaceAlarmRefusesWhatGrowsTheStoreAndNothingElse() {
        assertThat(apply(put("a")).hasPut()).isTrue();
        assertThat(apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 7, AlarmType.NOSPACE)).getAlarm().getAlarmsList())
                .containsExactly(member(7, AlarmType.NOSPACE));

        assertThat(error(apply(put("b")))).isEqualTo(EtcdError.NO_SPACE.message());
        assertThat(error(apply(Command.newBuilder().setLeaseGrant(LeaseGrantRequest.newBuilder().setTTL(10)).build())))
                .isEqualTo(EtcdError.NO_SPACE.message());
        TxnRequest putOnFailure = TxnRequest.newBuilder()
                .addFailure(RequestOp.newBuilder().setRequestPut(putRequest("c"))).build();
        assertThat(error(apply(Command.newBuilder().setTxn(putOnFailure).build()))).isEqualTo(EtcdError.NO_SPACE.message());
        TxnRequest nestedPut = TxnRequest.newBuilder()
                .addSuccess(RequestOp.newBuilder().setRequestTxn(putOnFailure)).build();
        assertThat(error(apply(Command.newBuilder().setTxn(nestedPut).build()))).isEqualTo(EtcdError.NO_SPACE.message());
        assertThat(store.revision()).isEqualTo(2);

        TxnRequest deleteOnly = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
                .setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("x")))).build();
        assertThat(apply(Command.newBuilder().setTxn(deleteOnly).build()).hasTxn()).isTrue();
        assertThat(apply(Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("a"))).build()).getDeleteRange().getDeleted()).isEqualTo(1);
        assertThat(apply(Command.newBuilder().setCompaction(CompactionRequest.newBuilder().setRevision(3)).build())
                .hasCompaction()).isTrue();

        assertThat(apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, 7, AlarmType.NOSPACE)).getAlarm().getAlarmsList())
                .containsExactly(member(7, AlarmType.NOSPACE));
        assertThat(apply(put("b")).hasPut()).isTrue();
    }

    @Test
    void alarmsAreKeptOncePerMemberAndTypeInOrder() {
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 9, AlarmType.NOSPACE));
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 3, AlarmType.CORRUPT));
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 3, AlarmType.NOSPACE));
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 9, AlarmType.NOSPACE));
        assertThat(store.read(MvccView::alarms)).containsExactly(
                member(3, AlarmType.NOSPACE), member(9, AlarmType.NOSPACE), member(3, AlarmType.CORRUPT));

        assertThat(apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, 4, AlarmType.NOSPACE)).getAlarm().getAlarmsList())
                .isEmpty();
        apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, 3, AlarmType.CORRUPT));
        assertThat(store.read(MvccView::alarms)).containsExactly(member(3, AlarmType.NOSPACE), member(9, AlarmType.NOSPACE));
        assertThat(store.revision()).as("alarms are not revisions of the key space").isEqualTo(1);
    }

    @Test
    void aCorruptAlarmRefusesEveryWrite() {
        apply(put("a"));
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 1, AlarmType.CORRUPT));
        assertThat(error(apply(Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("a"))).build()))).isEqualTo(EtcdError.CORRUPT.message());
        assertThat(error(apply(put("b")))).isEqualTo(EtcdError.CORRUPT.message());
        assertThat(store.revision()).isEqualTo(2);
    }

    private CommandResult apply(Command command) {
        return entry(view -> CommandApplier.apply(view,
                CommandBatch.newBuilder().addCommands(command).build(), new java.util.ArrayList<>())).getResults(0);
    }

    private static String error(CommandResult result) {
        assertThat(result.hasError()).as("%s", result).isTrue();
        return result.getError().getMessage();
    }

    private static Command put(String key) {
        return Command.newBuilder().setPut(putRequest(key)).build();
    }

    private static PutRequest putRequest(String key) {
        return PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8("v")).build();
    }

    private static Command alarm(AlarmRequest.AlarmAction action, long memberId, AlarmType type) {
        return Command.newBuilder().setAlarm(AlarmRequest.newBuilder().setAction(action).setMemberID(memberId).setAlarm(type))
                .build();
    }

    private static AlarmMember member(long memberId, AlarmType type) {
        return AlarmMember.newBuilder().setMemberID(memberId).setAlarm(type).build();
    }
}
