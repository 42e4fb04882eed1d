package dev.gantry.reliability.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Random protobuf inputs for one request type: messages with random field values (nested messages filled in up to a
 * depth), those same messages' bytes mutated (bits flipped, bytes inserted, cut short), and random bytes that do
 * not parse as the type at all.
 */
public final class MessageFuzzer {

    private static final int MAX_DEPTH = 3;
    private final Message prototype;
    private final Random random;

    public MessageFuzzer(Message prototype, Random random) {
        this.prototype = prototype;
        this.random = random;
    }

    /** A message of the type with random values in a random subset of its fields. */
    public Message randomMessage() {
        return fill(prototype.newBuilderForType(), 0).build();
    }

    /** A random message's bytes, mutated; may or may not parse. */
    public byte[] mutated() {
        byte[] bytes = randomMessage().toByteArray();
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            switch (random.nextInt(4)) {
                case 0 -> {
                    if (bytes.length > 0) {
                        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
                    }
                }
                case 1 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                case 2 -> {
                    byte[] longer = new byte[bytes.length + 1 + random.nextInt(8)];
                    random.nextBytes(longer);
                    int at = random.nextInt(bytes.length + 1);
                    System.arraycopy(bytes, 0, longer, 0, at);
                    System.arraycopy(bytes, at, longer, longer.length - (bytes.length - at), bytes.length - at);
                    bytes = longer;
                }
                default -> {
                    if (bytes.length > 0) {
                        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                    }
                }
            }
        }
        return bytes;
    }

    /** Random bytes that do not parse as the type: a server must reject them without any effect. */
    public byte[] unparseable() {
        while (true) {
            byte[] bytes = new byte[1 + random.nextInt(64)];
            random.nextBytes(bytes);
            if (random.nextBoolean()) {
                bytes[0] = (byte) 0xff; // field number 15, wire type 7: never valid
            }
            if (!parses(bytes)) {
                return bytes;
            }
        }
    }

    public boolean parses(byte[] bytes) {
        try {
            prototype.getParserForType().parseFrom(bytes);
            return true;
        } catch (InvalidProtocolBufferException e) {
            return false;
        }
    }

    private Message.Builder fill(Message.Builder builder, int depth) {
        for (FieldDescriptor field : builder.getDescriptorForType().getFields()) {
            if (random.nextInt(3) == 0) {
                continue;
            }
            if (field.isRepeated()) {
                int n = random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    Object value = value(builder, field, depth);
                    if (value != null) {
                        builder.addRepeatedField(field, value);
                    }
                }
            } else {
                Object value = value(builder, field, depth);
                if (value != null) {
                    builder.setField(field, value);
                }
            }
        }
        return builder;
    }

    private Object value(Message.Builder builder, FieldDescriptor field, int depth) {
        return switch (field.getJavaType()) {
            case INT -> pick(0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, random.nextInt());
            case LONG -> pick(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, random.nextLong(), (long) random.nextInt(100));
            case FLOAT -> random.nextFloat();
            case DOUBLE -> random.nextDouble();
            case BOOLEAN -> random.nextBoolean();
            case STRING -> pick("", "x", "http://127.0.0.1:1", "\u0000\uffff", randomString());
            case BYTE_STRING -> ByteString.copyFrom(pick(new byte[0], new byte[] {0}, "/rel/fuzz".getBytes(StandardCharsets.UTF_8),
                    randomBytes()));
            case ENUM -> {
                EnumDescriptor type = field.getEnumType();
                yield type.getValues().get(random.nextInt(type.getValues().size()));
            }
            case MESSAGE -> depth >= MAX_DEPTH ? null : fill(builder.newBuilderForField(field), depth + 1).build();
        };
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private String randomString() {
        return new String(randomBytes(), StandardCharsets.UTF_8);
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[random.nextInt(40)];
        random.nextBytes(bytes);
        return bytes;
    }
}
