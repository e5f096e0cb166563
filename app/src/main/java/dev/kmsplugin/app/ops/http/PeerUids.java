package dev.kmsplugin.app.ops.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Which local user owns the client end of TCP connections accepted from this host. */
@FunctionalInterface
public interface PeerUids {

    /** Both ends of an accepted connection as the server sees them. */
    record Ends(InetSocketAddress peer, InetSocketAddress local) {
    }

    /** The uid of each connection's client socket that could be found; the others are left out. */
    Map<Ends, Integer> uids(Collection<Ends> connections);

    /** Reads the kernel's socket tables of this network namespace. */
    public static PeerUids procNet() {
        return new ProcNet(List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6")));
    }

    /**
     * {@code /proc/net/tcp} and {@code /proc/net/tcp6}: one row per socket, with its local and remote address in hex
     * and its owner's uid. The client's row has the server's ends swapped: its local end is our peer.
     */
    final class ProcNet implements PeerUids {

        private static final String LISTEN = "0A";
        private static final String TIME_WAIT = "06"; // shown with uid 0: never trust it

        private final List<Path> tables;

        ProcNet(List<Path> tables) {
            this.tables = tables;
        }

        @Override
        public Map<Ends, Integer> uids(Collection<Ends> connections) {
            Set<Ends> wanted = new HashSet<>(connections);
            Map<Ends, Integer> found = new HashMap<>();
            for (Path table : tables) {
                if (found.size() == wanted.size()) {
                    break;
                }
                try (Stream<String> lines = Files.lines(table)) {
                    lines.skip(1).forEach(line -> {
                        String[] fields = line.trim().split("\\s+");
                        if (fields.length < 8 || fields[3].equals(LISTEN) || fields[3].equals(TIME_WAIT)) {
                            return;
                        }
                        // The client's row: its local end is our peer, its remote end is our local end.
                        Ends client = new Ends(address(fields[1]), address(fields[2]));
                        if (wanted.contains(client)) {
                            found.put(client, Integer.parseInt(fields[7]));
                        }
                    });
                } catch (IOException | RuntimeException e) {
                    // no /proc (another OS, a sandbox) or a row we cannot read: those peers fall back to their address
                }
            }
            return found;
        }

        /** {@code 0100007F:1F90}: the address as 32-bit words in host byte order, the port big-endian. */
        static InetSocketAddress address(String hex) {
            int colon = hex.indexOf(':');
            String host = hex.substring(0, colon);
            ByteBuffer bytes = ByteBuffer.allocate(host.length() / 2).order(ByteOrder.nativeOrder());
            for (int i = 0; i < host.length(); i += 8) {
                bytes.putInt((int) Long.parseLong(host.substring(i, i + 8), 16));
            }
            try {
                return new InetSocketAddress(InetAddress.getByAddress(bytes.array()),
                        Integer.parseInt(hex.substring(colon + 1), 16));
            } catch (IOException e) {
                throw new IllegalArgumentException("not an address: " + hex, e);
            }
        }
    }
}
