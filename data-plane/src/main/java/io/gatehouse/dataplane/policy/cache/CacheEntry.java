package io.gatehouse.dataplane.policy.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What is stored in Redis under a cache key: either a response (status, headers, body, when it was
 * stored) or a Vary marker naming the request headers whose values select the variant. Binary format:
 * a tag byte, then DataOutput fields. Immutable.
 */
sealed interface CacheEntry {

    /** A stored response. */
    record Response(int status, long storedAtMillis, List<Map.Entry<String, String>> headers, byte[] body)
            implements CacheEntry {
    }

    /** The response varies on these (lower-case) request headers; look up the variant key. */
    record Vary(List<String> headerNames) implements CacheEntry {
    }

    static byte[] encode(CacheEntry entry) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            switch (entry) {
                case Response r -> {
                    out.writeByte('R');
                    out.writeInt(r.status());
                    out.writeLong(r.storedAtMillis());
                    out.writeInt(r.headers().size());
                    for (Map.Entry<String, String> h : r.headers()) {
                        out.writeUTF(h.getKey());
                        out.writeUTF(h.getValue());
                    }
                    out.writeInt(r.body().length);
                    out.write(r.body());
                }
                case Vary v -> {
                    out.writeByte('V');
                    out.writeInt(v.headerNames().size());
                    for (String name : v.headerNames()) {
                        out.writeUTF(name);
                    }
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException when {@code data} is not an entry (treated as a miss) */
    static CacheEntry decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int tag = in.readByte();
            if (tag == 'V') {
                int n = in.readInt();
                List<String> names = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    names.add(in.readUTF());
                }
                return new Vary(List.copyOf(names));
            }
            if (tag != 'R') {
                throw new IllegalArgumentException("unknown cache entry tag " + tag);
            }
            int status = in.readInt();
            long storedAt = in.readLong();
            int n = in.readInt();
            List<Map.Entry<String, String>> headers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                headers.add(Map.entry(in.readUTF(), in.readUTF()));
            }
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            return new Response(status, storedAt, List.copyOf(headers), body);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt cache entry", e);
        }
    }
}
