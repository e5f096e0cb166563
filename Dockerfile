# Container image of the KMS plugin: the same jlink image `./mvnw package` builds and tests, on a minimal base.
#   docker build -t registry.example.com/kms-plugin:0.1.0 .
#   scripts/container-image   (podman or docker; makes the base image locally when no registry serves it)
# Run it as deploy/kms-plugin.yaml does: read-only root filesystem (the plugin writes only its socket), every
# capability dropped, the socket directory mounted from the host (docs/operations.md).
#
# Extra certificate authorities for HTTPS from inside the build (a TLS-inspecting proxy, a private Maven mirror):
# pass a PEM bundle as the build secret `ca-bundle`; it is added to the build stage's system and Java trust stores
# and never reaches the shipped image. Without the secret the build trusts Debian's CA set only.
#   docker build --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt -t ... .
#   podman build --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt -t ... .

# --- build: JDK 17, softhsm2, which the AppCDS training run of the build serves with, and binutils, whose objcopy
# Debian's jlink runs for --strip-debug ----------------------------------------------------------------------------
FROM debian:12-slim AS build
RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \
    mkdir -p /usr/share/man/man1 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jdk-headless softhsm2 binutils ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && if [ -s /run/secrets/ca-bundle ]; then \
      awk '/-----BEGIN CERTIFICATE-----/ { n++; f = sprintf("/usr/local/share/ca-certificates/build-ca-%03d.crt", n) } \
           n > 0 { print > f } /-----END CERTIFICATE-----/ { close(f) }' /run/secrets/ca-bundle \
      && update-ca-certificates >/dev/null \
      && echo "build: trusting $(ls /usr/local/share/ca-certificates | wc -l) extra CA certificates"; \
    fi
WORKDIR /src
COPY . .
# Linked straight into its final path: the AppCDS archive records the module path it was trained with and is
# ignored (slower start, nothing worse) if the image moves. The Maven cache mount only saves downloads between
# builds on one machine; an engine without it downloads every time, with the same result.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests -Ddistribution.dir=/opt/kms-plugin package

# --- run: Debian slim, not distroless, because bin/kms-plugin is a POSIX sh script (the tested launcher; it sets
# the JVM flags and the CDS archive). The runtime needs only glibc, libstdc++, libgcc and zlib, all in the base. ----
FROM debian:12-slim
COPY --from=build /opt/kms-plugin /opt/kms-plugin
# No home, no shell login, no package files written at run time: the plugin only creates its socket.
USER 65532:65532
ENTRYPOINT ["/opt/kms-plugin/bin/kms-plugin"]
CMD ["--help"]
