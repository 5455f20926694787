package io.gatehouse.cli.traces;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The file {@code gatehouse traces receive} writes and {@code show}/{@code list} read: the OTLP
 * export requests as they arrived (after the receiver's checks), each as a varint length followed by
 * the protobuf {@code ExportTraceServiceRequest} ({@code writeDelimitedTo}). No format of our own
 * to document or get wrong, and any OTLP tool can decode a record. Appending only; readers stop at
 * a record that is still being written (a short last record), so reading while the receiver writes
 * is safe.
 */
public final class TraceFile {

    /** A record claiming more than this is treated as the end of the file (a corrupt or foreign file). */
    static final int MAX_RECORD_BYTES = 64 << 20;

    private TraceFile() {
    }

    /**
     * Calls {@code sink} with every span in {@code file}, in the order they arrived. A missing file
     * has no spans.
     */
    public static void read(Path file, Consumer<ReceivedSpan> sink) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            while (true) {
                ExportTraceServiceRequest request;
                try {
                    in.mark(5);
                    int first = in.read();
                    if (first == -1) {
                        return;
                    }
                    in.reset();
                    int size = readLength(in);
                    if (size < 0 || size > MAX_RECORD_BYTES) {
                        return;
                    }
                    byte[] bytes = in.readNBytes(size);
                    if (bytes.length < size) {
                        return; // the receiver is still writing this record
                    }
                    request = ExportTraceServiceRequest.parseFrom(bytes);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IOException(file + " is not a trace file written by gatehouse traces receive: "
                            + e.getMessage());
                }
                spans(request, sink);
            }
        } catch (NoSuchFileException e) {
            // no spans yet: the receiver creates the file on its first accepted export
        }
    }

    /** Calls {@code sink} with every span of {@code request} that has valid ids. */
    static void spans(ExportTraceServiceRequest request, Consumer<ReceivedSpan> sink) {
        for (ResourceSpans resource : request.getResourceSpansList()) {
            String service = service(resource);
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    if (ReceivedSpan.valid(span)) {
                        sink.accept(ReceivedSpan.of(span, service));
                    }
                }
            }
        }
    }

    static String service(ResourceSpans resource) {
        for (KeyValue kv : resource.getResource().getAttributesList()) {
            if (kv.getKey().equals("service.name") && kv.getValue().hasStringValue()) {
                return kv.getValue().getStringValue();
            }
        }
        return "unknown_service";
    }

    /** A varint32 length, -1 at a cut-off or over-long varint. */
    private static int readLength(InputStream in) throws IOException {
        int result = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.read();
            if (b == -1) {
                return -1;
            }
            result |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        return -1;
    }
}
