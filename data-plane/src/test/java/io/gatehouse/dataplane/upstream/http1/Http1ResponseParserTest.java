package io.gatehouse.dataplane.upstream.http1;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lean exchange's response rules, on bytes: heads accepted, heads refused, bodies decoded by their framing. */
class Http1ResponseParserTest {

    private static ConnectionInput input(String raw) {
        return new ConnectionInput(new ByteArrayInputStream(raw.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static ResponseHead head(String raw) throws IOException {
        return Http1ResponseParser.read(input(raw), Method.GET, false);
    }

    private static String body(String raw, Method method) throws IOException {
        ConnectionInput in = input(raw);
        ResponseHead head = Http1ResponseParser.read(in, method, false);
        BodyInputStream body = BodyInputStream.of(head, in);
        String text = new String(body.readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(body.complete()).isTrue();
        return text + (in.buffered() > 0 ? "|left " + in.buffered() : "");
    }

    @Test
    void statusHeadersAndVersionAreRead() throws IOException {
        ResponseHead head = head("HTTP/1.0 404 Not Found\r\nX-A: 1\r\nx-a:  2 \r\nContent-Length: 3\r\n\r\nabc");
        assertThat(head.status().code()).isEqualTo(404);
        assertThat(head.status().reasonPhrase()).isEqualTo("Not Found");
        assertThat(head.http10()).isTrue();
        assertThat(head.headers().get(HeaderNames.create("X-A")).allValues()).containsExactly("1", "2");
        assertThat(head.framing()).isEqualTo(ResponseHead.Framing.LENGTH);
        assertThat(head.contentLength()).isEqualTo(3);
    }

    @Test
    void identicalRepeatedContentLengthsAreOneLength() throws IOException {
        ResponseHead head = head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\n");
        assertThat(head.contentLength()).isEqualTo(5);
        assertThat(head.headers().get(HeaderNames.CONTENT_LENGTH).allValues()).containsExactly("5");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\n\tfolded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: a\u007fb\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
            "HTTP/1.1 200 OK\r\n: 1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            "HTTP/1.1 200 OK\nX-A: 1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\n\n",
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.2 200 OK\r\n\r\n",
            "http/1.1 200 OK\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 099 OK\r\n\r\n",
            "HTTP/1.1 600 OK\r\n\r\n",
            "HTTP/1.1 200 O\u0000K\r\n\r\n",
            "HTTP/1.1  200 OK\r\n\r\n",
            "garbage\r\n\r\n"})
    void headsBreakingTheRulesAreRefused(String raw) {
        assertThatThrownBy(() -> head(raw)).isInstanceOf(MalformedResponseException.class);
    }

    @Test
    void oversizedHeadsAreRefused() {
        String big = "X-Big: " + "a".repeat(Http1ResponseParser.MAX_HEAD_BYTES) + "\r\n";
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\n" + big + "\r\n"))
                .isInstanceOf(MalformedResponseException.class).hasMessageContaining("larger than");
        String many = "X-Many: 0123456789\r\n".repeat(Http1ResponseParser.MAX_HEAD_BYTES / 20 + 1);
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\n" + many + "\r\n"))
                .isInstanceOf(MalformedResponseException.class).hasMessageContaining("larger than");
        String longStatus = "HTTP/1.1 200 " + "r".repeat(Http1ResponseParser.MAX_STATUS_LINE) + "\r\n\r\n";
        assertThatThrownBy(() -> head(longStatus)).isInstanceOf(MalformedResponseException.class);
    }

    @Test
    void aHeadJustWithinTheLimitIsAccepted() throws IOException {
        String fields = "X-Fill: " + "a".repeat(Http1ResponseParser.MAX_HEAD_BYTES - 12) + "\r\n";
        assertThat(head("HTTP/1.1 204 No Content\r\n" + fields + "\r\n").status().code()).isEqualTo(204);
    }

    @Test
    void aHeadCutShortIsAnEndOfStream() {
        assertThatThrownBy(() -> head("")).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\nContent-Len")).isInstanceOf(EOFException.class);
    }

    @Test
    void statusLineWithoutReasonPhraseIsAccepted() throws IOException {
        assertThat(head("HTTP/1.1 200\r\n\r\n").status().code()).isEqualTo(200);
        assertThat(head("HTTP/1.1 200 \r\n\r\n").status().code()).isEqualTo(200);
    }

    @Test
    void bodilessResponsesHaveNoBodyWhateverTheyDeclare() throws IOException {
        assertThat(Http1ResponseParser.read(input("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), Method.HEAD, false)
                .framing()).isEqualTo(ResponseHead.Framing.NONE);
        assertThat(head("HTTP/1.1 204 OK\r\nContent-Length: 9\r\n\r\n").framing()).isEqualTo(ResponseHead.Framing.NONE);
        assertThat(head("HTTP/1.1 304 OK\r\n\r\n").framing()).isEqualTo(ResponseHead.Framing.NONE);
        assertThat(head("HTTP/1.1 103 Early Hints\r\n\r\n").framing()).isEqualTo(ResponseHead.Framing.NONE);
    }

    @Test
    void oneContinueIsSkippedOnlyWhenAsked() throws IOException {
        String raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
        assertThat(Http1ResponseParser.read(input(raw), Method.POST, true).status().code()).isEqualTo(201);
        assertThat(Http1ResponseParser.read(input(raw), Method.POST, false).status().code()).isEqualTo(100);
        String twice = "HTTP/1.1 100 Continue\r\n\r\n" + raw;
        assertThat(Http1ResponseParser.read(input(twice), Method.POST, true).status().code()).isEqualTo(100);
    }

    @Test
    void bodiesAreReadByTheirFramingAndBytesAfterThemStayBuffered() throws IOException {
        assertThat(body("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA", Method.GET)).isEqualTo("abc|left 5");
        assertThat(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT", Method.GET))
                .isEqualTo("abc0123456789|left 4");
        assertThat(body("HTTP/1.1 200 OK\r\n\r\nuntil the end", Method.GET)).isEqualTo("until the end");
        assertThat(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc", Method.GET))
                .as("chunked not last: read until close").isEqualTo("3\r\nabc");
        assertThat(body("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", Method.HEAD)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "10000000000000000\r\n",       // 2^64: overflows a long
            "8000000000000000\r\n",        // 2^63
            "zz\r\nab\r\n0\r\n\r\n",       // not hexadecimal
            "\r\n",                        // no size
            "-1\r\n",
            "3 x\r\nabc\r\n0\r\n\r\n",     // garbage after the size
            "3\r\nabcXY0\r\n\r\n",         // data not followed by CRLF
            "3\nabc\r\n0\r\n\r\n",         // bare LF
            "3;\u0000\r\nabc\r\n0\r\n\r\n", // control character in an extension
            "3\r\nabc\r\n0\r\nX-T: a\u0000\r\n\r\n", // control character in a trailer
            "3\r\nabc\r\n0\r\n folded\r\n\r\n"})
    void brokenChunkedBodiesFail(String chunks) throws IOException {
        ConnectionInput in = input("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
        BodyInputStream body = BodyInputStream.of(Http1ResponseParser.read(in, Method.GET, false), in);
        assertThatThrownBy(body::readAllBytes).isInstanceOf(MalformedResponseException.class);
        assertThat(body.complete()).isFalse();
    }

    @Test
    void longChunkSizeLinesAndTrailersAreBounded() throws IOException {
        String longLine = "3;" + "e".repeat(ChunkedInputStream.MAX_SIZE_LINE) + "\r\nabc\r\n0\r\n\r\n";
        ConnectionInput in = input("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + longLine);
        BodyInputStream body = BodyInputStream.of(Http1ResponseParser.read(in, Method.GET, false), in);
        assertThatThrownBy(body::readAllBytes).isInstanceOf(MalformedResponseException.class);

        String trailers = "X-T: 0123456789\r\n".repeat(Http1ResponseParser.MAX_HEAD_BYTES / 17 + 1);
        ConnectionInput withTrailers = input("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + trailers
                + "\r\n");
        BodyInputStream trailed = BodyInputStream.of(Http1ResponseParser.read(withTrailers, Method.GET, false),
                withTrailers);
        assertThatThrownBy(trailed::readAllBytes).isInstanceOf(MalformedResponseException.class);
    }

    @Test
    void bodiesCutShortAreAnEndOfStream() throws IOException {
        for (String raw : new String[] {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n"}) {
            ConnectionInput in = input(raw);
            BodyInputStream body = BodyInputStream.of(Http1ResponseParser.read(in, Method.GET, false), in);
            assertThatThrownBy(body::readAllBytes).as(raw).isInstanceOf(EOFException.class);
            assertThat(body.complete()).isFalse();
        }
    }
}
