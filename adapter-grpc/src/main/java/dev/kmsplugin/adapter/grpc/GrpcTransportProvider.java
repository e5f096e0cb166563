package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.spi.TransportProvider;

/** Makes the gRPC transport. (Placeholder until the transport lands.) */
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
    public Transport create(PluginContext context, EnvelopeEncryption service) {
        throw new KmsException.Misconfigured("the gRPC transport is not built yet");
    }
}
