# Caddy for docker/compose.yaml, built from Debian 12's caddy package (so it
# builds where no container registry is reachable), run from an image with
# only the caddy binary, its libraries and CA certificates, as user 10002.
# Build from the repository root:
#   docker build -f docker/Caddy.Dockerfile -t petitiond-caddy .
# Where Docker Hub is reachable, the official `caddy:2` image works with the
# same Caddyfile, volumes and environment instead.

ARG DEBIAN_IMAGE=debian:12-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        caddy ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY docker/collect-runtime /usr/local/bin/collect-runtime
RUN set -eu; r=/rootfs; \
    mkdir -p $r/usr/bin $r/etc/caddy $r/etc/ssl/certs $r/data $r/config $r/tmp; \
    cp /usr/bin/caddy $r/usr/bin/caddy; \
    sh /usr/local/bin/collect-runtime $r $r/usr/bin/caddy; \
    cp /etc/ssl/certs/ca-certificates.crt $r/etc/ssl/certs/; \
    printf 'root:x:0:0:root:/root:/usr/sbin/nologin\ncaddy:x:10002:10002:caddy:/data:/usr/sbin/nologin\n' > $r/etc/passwd; \
    printf 'root:x:0:\ncaddy:x:10002:\n' > $r/etc/group; \
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' > $r/etc/nsswitch.conf; \
    chown 10002:10002 $r/data $r/config; chmod 0700 $r/data $r/config; chmod 1777 $r/tmp; \
    chroot $r /usr/bin/caddy version

FROM scratch
COPY --from=build /rootfs/ /
COPY docker/Caddyfile /etc/caddy/Caddyfile
# Caddy keeps its certificates and keys under /data/caddy, its autosaved
# configuration under /config/caddy.
ENV PATH=/usr/bin:/bin \
    XDG_DATA_HOME=/data \
    XDG_CONFIG_HOME=/config \
    DOMAIN=localhost \
    UPSTREAM=petitiond:8080
USER 10002:10002
VOLUME /data /config
EXPOSE 80 443 443/udp
STOPSIGNAL SIGTERM
ENTRYPOINT ["caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
