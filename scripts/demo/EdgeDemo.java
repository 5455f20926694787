// The demo's gRPC and WebSocket peers, as one single-file Java program (run with the data plane's
// libraries on the class path: grpc-java is among them). Not part of the build.
//
//   java -cp 'data-plane/target/lib/*' scripts/demo/EdgeDemo.java serve GRPC_PORT WS_PORT
//       a gRPC server (service gatehouse.demo.Greeter, method SayHello: "hello <name> from <port>")
//       and a WebSocket echo server (any path), both on 127.0.0.1
//   java -cp ... scripts/demo/EdgeDemo.java grpc HOST PORT NAME
//       one SayHello call over h2c (prior knowledge), prints the answer and the status
//   java -cp ... scripts/demo/EdgeDemo.java ws URI TEXT
//       opens a WebSocket (the JDK's client), sends TEXT, prints the echo, closes with 1000
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

public class EdgeDemo {

    static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }
    };
    static final MethodDescriptor<String, String> SAY_HELLO = MethodDescriptor.newBuilder(TEXT, TEXT)
            .setFullMethodName("gatehouse.demo.Greeter/SayHello").setType(MethodDescriptor.MethodType.UNARY).build();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            case "grpc" -> grpc(args[1], Integer.parseInt(args[2]), args[3]);
            case "ws" -> ws(args[1], args[2]);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static void serve(int grpcPort, int wsPort) throws Exception {
        Grpc.newServerBuilderForPort(grpcPort, InsecureServerCredentials.create())
                .addService(ServerServiceDefinition.builder("gatehouse.demo.Greeter")
                        .addMethod(SAY_HELLO, ServerCalls.asyncUnaryCall((name, out) -> {
                            out.onNext("hello " + name + " from the gRPC upstream on :" + grpcPort);
                            out.onCompleted();
                        }))
                        .build())
                .build().start();
        try (ServerSocket server = new ServerSocket(wsPort, 50, InetAddress.getLoopbackAddress())) {
            while (true) {
                Socket socket = server.accept();
                Thread.ofVirtual().start(() -> echo(socket));
            }
        }
    }

    /** A minimal RFC 6455 echo: the handshake, then every frame back unmasked, a close answered and ended. */
    static void echo(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            String key = null;
            for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
                if (line.toLowerCase().startsWith("sec-websocket-key:")) {
                    key = line.substring(line.indexOf(':') + 1).trim();
                }
            }
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long length = b1 & 0x7F;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] mask = new byte[4];
                if ((b1 & 0x80) != 0) {
                    in.readFully(mask);
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i % 4];
                }
                out.write(b0);
                if (length < 126) {
                    out.write((int) length);
                } else {
                    out.write(126);
                    out.write((int) (length >>> 8));
                    out.write((int) length);
                }
                out.write(payload);
                out.flush();
                if ((b0 & 0x0F) == 8) {
                    return; // close answered
                }
            }
        } catch (Exception e) {
            // the peer went away
        }
    }

    static String readLine(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n' && c >= 0; c = in.read()) {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    static void grpc(String host, int port, String name) throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build();
        try {
            String answer = ClientCalls.blockingUnaryCall(channel, SAY_HELLO,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), name);
            System.out.println("gRPC gatehouse.demo.Greeter/SayHello -> \"" + answer + "\" (status OK)");
        } catch (StatusRuntimeException e) {
            System.out.println("gRPC gatehouse.demo.Greeter/SayHello -> status " + e.getStatus().getCode() + ": "
                    + e.getStatus().getDescription());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static void ws(String uri, String text) throws Exception {
        CompletableFuture<String> echoed = new CompletableFuture<>();
        CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(uri),
                new WebSocket.Listener() {
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        echoed.complete(data.toString());
                        return null;
                    }

                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                        closed.complete(code + (reason.isEmpty() ? "" : " " + reason));
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
        socket.sendText(text, true);
        System.out.println("WebSocket " + uri + ": sent \"" + text + "\", echo \"" + echoed.get(5, TimeUnit.SECONDS) + "\"");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        System.out.println("WebSocket closed: " + closed.get(5, TimeUnit.SECONDS));
    }
}
