package io.gatehouse.controlplane.discovery;

import io.grpc.Codec;
import io.grpc.Compressor;
import io.grpc.CompressorRegistry;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * gRPC's "gzip" message compression, able to append an already compressed gzip member. gRPC
 * compresses every message of every stream by itself, so a snapshot pushed to 1,000 streams would
 * be compressed 1,000 times; {@link WatchResponseMarshaller} instead hands over the per-stream head
 * (compressed here, a few dozen bytes) and the snapshot compressed once per snapshot. A message is
 * then a sequence of gzip members, which a gzip reader returns as one concatenated stream (RFC 1952
 * section 2.2; grpc-java decompresses with {@link java.util.zip.GZIPInputStream}, which reads every
 * member). Anything else written through it is compressed as one member, as gRPC's own gzip does.
 */
final class SharedGzip implements Compressor {

    static final SharedGzip INSTANCE = new SharedGzip();

    /** gRPC's default registry with "gzip" replaced by this one (identity stays). */
    static CompressorRegistry registry() {
        CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
        registry.register(Codec.Identity.NONE);
        registry.register(INSTANCE);
        return registry;
    }

    @Override
    public String getMessageEncoding() {
        return "gzip";
    }

    @Override
    public OutputStream compress(OutputStream os) {
        return new MemberStream(os);
    }

    /** {@code data[offset, offset + length)} as one complete gzip member. */
    static byte[] member(byte[] data, int offset, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 4));
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
            gz.write(data, offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes compress into the current member; {@link #writeMember} closes it and appends a finished one. */
    static final class MemberStream extends OutputStream {
        private final OutputStream out;
        private GZIPOutputStream current;
        private boolean anyMember;

        MemberStream(OutputStream out) {
            this.out = out;
        }

        private GZIPOutputStream current() throws IOException {
            if (current == null) {
                // The member's end must not close gRPC's buffer stream: only close() does.
                current = new GZIPOutputStream(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() {
                    }
                }, 512);
                anyMember = true;
            }
            return current;
        }

        @Override
        public void write(int b) throws IOException {
            current().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            current().write(b, off, len);
        }

        /** Ends the member being written, if any, and appends {@code member} (a complete gzip member). */
        void writeMember(byte[] member) throws IOException {
            finishCurrent();
            out.write(member);
            anyMember = true;
        }

        private void finishCurrent() throws IOException {
            if (current != null) {
                current.finish();
                current = null;
            }
        }

        @Override
        public void close() throws IOException {
            if (!anyMember) {
                current(); // an empty message is still one (empty) gzip member
            }
            finishCurrent();
            out.close();
        }
    }
}
