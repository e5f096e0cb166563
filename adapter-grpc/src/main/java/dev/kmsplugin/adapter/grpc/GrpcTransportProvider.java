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
        return GrpcTransportSettings.flags();
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
