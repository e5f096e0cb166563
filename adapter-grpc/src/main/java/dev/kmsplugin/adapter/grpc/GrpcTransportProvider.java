package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.adapter.grpc.client.ClientCommand;
import dev.kmsplugin.adapter.grpc.transport.GrpcTransport;
import dev.kmsplugin.adapter.grpc.transport.GrpcTransportSettings;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.spi.TransportProvider;
import java.util.List;

/** Makes the gRPC transport (KMS v1beta1 and v2 on a unix socket) and contributes the {@code client} command. */
public final class GrpcTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public String summary() {
        return "KMS v1beta1 and v2 over gRPC on a unix domain socket";
    }

    @Override
    public List<Flag> flags() {
        return List.of(
                Flag.string("listen-addr", "kms.grpc.listen-addr",
                        "unix socket to serve on, unix:///path or unix:///@abstract"),
                Flag.string("kms-v2-version", "kms.grpc.v2-status-version",
                        "version v2 Status reports: v2 for kube-apiserver 1.29+, v2beta1 for 1.27-1.28"),
                Flag.string("socket-mode", "kms.grpc.socket-mode", "octal permissions of the socket file"),
                Flag.integer("max-concurrent-calls", "kms.grpc.max-concurrent-calls",
                        "Encrypt/Decrypt calls worked on at once; more get RESOURCE_EXHAUSTED"),
                Flag.integer("max-message-size", "kms.grpc.max-message-bytes",
                        "largest gRPC request accepted, in bytes"),
                Flag.integer("max-connections", "kms.grpc.max-connections",
                        "connections kept open at once; more are closed when accepted"),
                Flag.duration("max-connection-idle", "kms.grpc.max-connection-idle",
                        "close a connection that has had no call for this long"),
                Flag.integer("max-streams-per-connection", "kms.grpc.max-streams-per-connection",
                        "calls open at once on one connection; the client waits for more"),
                Flag.duration("request-read-timeout", "kms.grpc.request-read-timeout",
                        "end a call whose request is not complete this long after it started"),
                Flag.bool("allow-abstract-socket", "kms.grpc.allow-abstract-socket",
                        "allow a unix:///@name listen address, which any local process can reach"),
                Flag.string("allowed-peer-uids", "kms.grpc.allowed-peer-uids",
                        "comma-separated uids that may connect, checked with SO_PEERCRED (when unset: any)"),
                Flag.string("client-api", "kms.grpc.client.api", "client command: KMS API to call, v2 or v1"),
                Flag.duration("client-timeout", "kms.grpc.client.timeout",
                        "client command: deadline of each call"),
                Flag.string("client-key-id", "kms.grpc.client.key-id",
                        "client decrypt (v2) of bare base64: key_id the ciphertext was written under"
                                + " (when unset: the JSON's key_id, else Status's key_id)"),
                Flag.string("client-output", "kms.grpc.client.output",
                        "client encrypt: json (ciphertext, key_id, annotations) or base64 (the bare ciphertext)"
                                + ""));
    }

    @Override
    public List<Command> commands() {
        return List.of(new ClientCommand(flags()));
    }

    @Override
    public void validate(PluginContext context) {
        GrpcTransportSettings.from(context.settings(), flags());
    }

    @Override
    public Transport create(PluginContext context, EnvelopeEncryption service) {
        return new GrpcTransport(GrpcTransportSettings.from(context.settings(), flags()), service, context.telemetry());
    }
}
