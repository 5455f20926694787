package io.gatehouse.dataplane.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.testing.Await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Headless Chromium driven over the DevTools protocol (the JDK's WebSocket client; no library):
 * navigate, evaluate, screenshot. {@code --dump-dom} and {@code --screenshot} cannot be used here:
 * they wait for the page to go idle, and an open event stream never does.
 */
public final class HeadlessChromium implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final WebSocket socket;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    private HeadlessChromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    public static HeadlessChromium open(Path dir, String url, int width, int height) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium");
        List<String> command = List.of("chromium", "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--remote-debugging-port=0", "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile, url);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("chromium-" + System.nanoTime() + ".log").toFile()).start();
        try {
            // Chromium writes the port it chose (0 = any free one) into the profile.
            Path portFile = profile.resolve("DevToolsActivePort");
            Await.until("chromium's DevTools port", Duration.ofSeconds(20),
                    () -> Files.exists(portFile) && readQuietly(portFile).contains("\n"));
            int port = Integer.parseInt(readQuietly(portFile).lines().findFirst().orElseThrow().strip());
            String[] wsUrl = new String[1];
            Await.until("a page target", Duration.ofSeconds(10), () -> {
                try {
                    for (JsonNode t : JSON.readTree(HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                            HttpResponse.BodyHandlers.ofString()).body())) {
                        if (t.path("type").asText().equals("page")) {
                            wsUrl[0] = t.path("webSocketDebuggerUrl").asText();
                            return true;
                        }
                    }
                    return false;
                } catch (Exception e) {
                    return false;
                }
            });
            HeadlessChromium[] self = new HeadlessChromium[1];
            WebSocket socket = HTTP.newWebSocketBuilder().buildAsync(URI.create(wsUrl[0]), new WebSocket.Listener() {
                private final StringBuilder text = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                        self[0].received(text.toString());
                        text.setLength(0);
                    }
                    ws.request(1);
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            HeadlessChromium chromium = new HeadlessChromium(process, socket);
            self[0] = chromium;
            return chromium;
        } catch (Exception | AssertionError e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw e;
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private void received(String message) {
        try {
            JsonNode m = JSON.readTree(message);
            CompletableFuture<JsonNode> f = m.has("id") ? pending.remove(m.path("id").asInt()) : null;
            if (f != null) {
                f.complete(m);
            }
        } catch (Exception e) {
            // Events (no id) and anything unparsable are not waited for.
        }
    }

    public JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        pending.put(id, result);
        socket.sendText(JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true)
                .get(10, TimeUnit.SECONDS);
        JsonNode response = result.get(20, TimeUnit.SECONDS);
        if (response.has("error")) {
            throw new AssertionError(method + ": " + response.path("error"));
        }
        return response.path("result");
    }

    public JsonNode evaluate(String expression) throws Exception {
        JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
        if (result.has("exceptionDetails")) {
            throw new AssertionError(expression + ": " + result.path("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    public void awaitTrue(String what, Duration timeout, String expression) {
        Await.until(what, timeout, () -> {
            try {
                return evaluate("!!(" + expression + ")").asBoolean();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    /** The whole page, not just the window: the viewport is made as tall as the document. */
    public byte[] fullPageScreenshot() throws Exception {
        int width = evaluate("document.documentElement.clientWidth").asInt();
        int height = evaluate("Math.ceil(document.documentElement.scrollHeight)").asInt();
        call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height,
                "deviceScaleFactor", 1, "mobile", false));
        awaitTrue("charts as wide as their cards after the resize", Duration.ofSeconds(5),
                "[...document.querySelectorAll('.card .plot')].every(p => !p.querySelector('.uplot')"
                        + " || Math.abs(p.querySelector('.uplot').offsetWidth - p.clientWidth) < 4)");
        JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png"));
        return java.util.Base64.getDecoder().decode(shot.path("data").asText());
    }

    @Override
    public void close() {
        socket.abort();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
