package io.gatehouse.controlplane.discovery;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Serializes a {@link WatchResponse} with its snapshot encoded once per snapshot, not once per
 * stream. A push offers the same {@link Snapshot} instance to every stream of the replica; gRPC's
 * protobuf marshaller would serialize all of it again for each one (1,000 data planes x a 10k-route
 * config = 1,000 encodings of ~1 MB per push). Here only what differs per stream (version_info and
 * nonce, a few dozen bytes) is encoded per stream; the snapshot's bytes come from a small cache keyed
 * by the instance's identity (instances are immutable, and identity costs nothing to compare where
 * {@code equals} would walk the whole config).
 *
 * <p>The bytes on the wire are exactly what {@code WatchResponse.toByteArray()} gives: fields 1, 2,
 * 3 in field-number order, as protobuf-java writes them (WatchResponseMarshallerTest checks it).
 *
 * <p>With gzip message compression ({@link SharedGzip}) the snapshot is also compressed once: the
 * message is two gzip members, the per-stream head and the cached compressed snapshot, which every
 * gzip reader (grpc-java's included) reads as one stream (RFC 1952 section 2.2).
 */
final class WatchResponseMarshaller implements MethodDescriptor.Marshaller<WatchResponse> {

    private static final MethodDescriptor.Marshaller<WatchResponse> PROTO =
            ProtoUtils.marshaller(WatchResponse.getDefaultInstance());
    private static final int SNAPSHOT_FIELD = WatchResponse.SNAPSHOT_FIELD_NUMBER;

    /** The newest encodings, by snapshot identity; a push and the registrations after it hit slot 0. */
    private static final int SLOTS = 4;
    private final Encoded[] slots = new Encoded[SLOTS];
    private long encodings;

    /** One snapshot's encoding: field 3's tag, length and body; the gzip member of the same, made on first use. */
    static final class Encoded {
        final Snapshot snapshot;
        final byte[] field;
        private volatile byte[] gzipMember;

        Encoded(Snapshot snapshot) {
            this.snapshot = snapshot;
            int size = snapshot.getSerializedSize();
            byte[] bytes = new byte[CodedOutputStream.computeTagSize(SNAPSHOT_FIELD)
                    + CodedOutputStream.computeUInt32SizeNoTag(size) + size];
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            try {
                out.writeTag(SNAPSHOT_FIELD, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt32NoTag(size);
                snapshot.writeTo(out);
                out.checkNoSpaceLeft();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.field = bytes;
        }

        byte[] gzipMember() {
            byte[] member = gzipMember;
            if (member == null) {
                synchronized (this) {
                    member = gzipMember;
                    if (member == null) {
                        member = SharedGzip.member(field, 0, field.length);
                        gzipMember = member;
                    }
                }
            }
            return member;
        }
    }

    @Override
    public InputStream stream(WatchResponse value) {
        // A shadow request (a rollout's shadow step, rare and short) carries a second snapshot: plain encoding.
        if (!value.hasSnapshot() || value.hasShadow() || !value.getUnknownFields().asMap().isEmpty()) {
            return PROTO.stream(value);
        }
        Encoded snapshot = encoded(value.getSnapshot());
        WatchResponse head = value.toBuilder().clearSnapshot().build();
        return new Message(head.toByteArray(), snapshot);
    }

    @Override
    public WatchResponse parse(InputStream stream) {
        return PROTO.parse(stream);
    }

    /** How many snapshot encodings were made (for tests: one per snapshot instance, not per stream). */
    synchronized long encodings() {
        return encodings;
    }

    private Encoded encoded(Snapshot snapshot) {
        synchronized (this) {
            for (int i = 0; i < SLOTS; i++) {
                Encoded e = slots[i];
                if (e != null && e.snapshot == snapshot) {
                    if (i > 0) { // move to the front
                        System.arraycopy(slots, 0, slots, 1, i);
                        slots[0] = e;
                    }
                    return e;
                }
            }
        }
        // Encoded outside the lock: two streams missing the same snapshot at once may both encode it,
        // which is harmless, and a big encoding never holds up streams of other snapshots.
        Encoded fresh = new Encoded(snapshot);
        synchronized (this) {
            encodings++;
            System.arraycopy(slots, 0, slots, 1, SLOTS - 1);
            slots[0] = fresh;
        }
        return fresh;
    }

    /** The per-stream head then the shared snapshot field; drained straight into gRPC's framer. */
    private static final class Message extends InputStream implements KnownLength, Drainable {
        private final byte[] head;
        private final Encoded snapshot;
        private int position; // over head then snapshot.field, for the plain read() path

        Message(byte[] head, Encoded snapshot) {
            this.head = head;
            this.snapshot = snapshot;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int written = available();
            if (position == 0 && target instanceof SharedGzip.MemberStream members) {
                members.write(head, 0, head.length);
                members.writeMember(snapshot.gzipMember());
            } else {
                byte[] field = snapshot.field;
                if (position < head.length) {
                    target.write(head, position, head.length - position);
                    target.write(field, 0, field.length);
                } else {
                    target.write(field, position - head.length, field.length - (position - head.length));
                }
            }
            position = head.length + snapshot.field.length;
            return written;
        }

        @Override
        public int available() {
            return head.length + snapshot.field.length - position;
        }

        @Override
        public int read() {
            if (available() == 0) {
                return -1;
            }
            int p = position++;
            return (p < head.length ? head[p] : snapshot.field[p - head.length]) & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int left = available();
            if (left == 0) {
                return len == 0 ? 0 : -1;
            }
            int n = Math.min(len, left);
            int done = 0;
            while (done < n) {
                int p = position;
                if (p < head.length) {
                    int k = Math.min(n - done, head.length - p);
                    System.arraycopy(head, p, b, off + done, k);
                    done += k;
                    position += k;
                } else {
                    int k = Math.min(n - done, snapshot.field.length - (p - head.length));
                    System.arraycopy(snapshot.field, p - head.length, b, off + done, k);
                    done += k;
                    position += k;
                }
            }
            return n;
        }
    }

    /** Bytes of {@code value} through {@link #stream} (tests). */
    static byte[] bytes(InputStream stream) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stream.transferTo(out);
        return out.toByteArray();
    }
}
