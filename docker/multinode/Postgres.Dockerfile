# PostgreSQL 15 for docker/multinode/compose.yaml, built from Debian 12's
# postgresql-15 package (so it builds where no container registry is
# reachable). The build context is this folder (its .dockerignore lets only
# postgres-entrypoint in, never secrets/):
#   docker build -f docker/multinode/Postgres.Dockerfile -t petitiond-postgres:local docker/multinode
# At the first start, postgres-entrypoint makes the cluster in pg15 on the
# volume at /var/lib/postgresql/data (initdb; data checksums, fsync and
# synchronous_commit on) and the role and database `petitiond`, with the
# password from the secret /run/secrets/db_password; later starts only start
# the server. Where Docker Hub is reachable, the official `postgres:15` image
# does much the same with POSTGRES_USER, POSTGRES_DB and POSTGRES_PASSWORD_FILE
# (its pg_hba.conf is looser: any address, any database).

ARG DEBIAN_IMAGE=debian:12-slim
FROM ${DEBIAN_IMAGE}
# No cluster "main" at install time: the entry point makes one on the volume.
RUN mkdir -p /etc/postgresql-common \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confold postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data \
    && chown postgres:postgres /var/lib/postgresql/data \
    && chmod 0700 /var/lib/postgresql/data
COPY postgres-entrypoint /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data/pg15 \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
EXPOSE 5432
# pg_isready: accepting connections (it does not log in).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "petitiond", "-d", "petitiond"]
# SIGINT is PostgreSQL's fast shutdown (SIGTERM's smart shutdown would wait
# for the petitiond nodes to hang up, which they never do).
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]
