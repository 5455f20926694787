package io.gatehouse.dataplane.upstream.http1;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The bytes the lean exchange writes: one write for head and buffered body, one write per chunk. */
class Http1RequestWriterTest {

    /** Records each write separately. */
    private static final class Writes extends OutputStream {
        final List<String> writes = new ArrayList<>();

        @Override
        public void write(int b) {
            writes.add(String.valueOf((char) b));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(new String(b, off, len, StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void headAndBufferedBodyGoOutInOneWriteWithOneLinePerValue() throws IOException {
        WritableHeaders<?> headers = WritableHeaders.create();
        headers.add(HeaderValues.create(HeaderNames.HOST, "upstream:8080"));
        headers.add(HeaderValues.create(HeaderNames.create("X-Multi"), "a", "b"));
        headers.add(HeaderValues.create(HeaderNames.create("x-name"), "caf\u00e9"));
        headers.add(HeaderValues.create(HeaderNames.CONTENT_LENGTH, "4"));
        Writes out = new Writes();

        Http1RequestWriter.write(out, Method.POST, "/p?q=1", headers, "body".getBytes(StandardCharsets.US_ASCII));

        assertThat(out.writes).hasSize(1); // in the headers' own order, as Helidon's client wrote them
        String request = out.writes.getFirst();
        assertThat(request).startsWith("POST /p?q=1 HTTP/1.1\r\n").endsWith("\r\n\r\nbody")
                .contains("\r\nHost: upstream:8080\r\n", "\r\nX-Multi: a\r\nX-Multi: b\r\n",
                        "\r\nx-name: caf?\r\n", "\r\nContent-Length: 4\r\n");
        assertThat(request.split("\r\n")).hasSize(8); // request line, 5 field lines, the empty line, body
    }

    @Test
    void aLargeHeadGrowsTheBuffer() throws IOException {
        WritableHeaders<?> headers = WritableHeaders.create();
        headers.add(HeaderValues.create(HeaderNames.create("X-Big"), "v".repeat(5000)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Http1RequestWriter.write(out, Method.GET, "/", headers, null);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("GET / HTTP/1.1\r\nX-Big: " + "v".repeat(5000)
                + "\r\n\r\n");
    }

    @Test
    void chunksAreOneWriteEachAndTheLastChunkComesOnlyWithClose() throws IOException {
        Writes out = new Writes();
        OutputStream chunked = Http1RequestWriter.chunked(out);
        chunked.write("hello".getBytes(StandardCharsets.US_ASCII));
        chunked.write(new byte[0]);
        chunked.write("0123456789abcdefX".getBytes(StandardCharsets.US_ASCII), 0, 17);
        assertThat(out.writes).containsExactly("5\r\nhello\r\n", "11\r\n0123456789abcdefX\r\n");
        chunked.close();
        chunked.close();
        assertThat(out.writes).containsExactly("5\r\nhello\r\n", "11\r\n0123456789abcdefX\r\n", "0\r\n\r\n");
    }
}
