# A team worker as a container (README: "For a team"). It installs videokit the way `make run`
# does (Debian packages, then the pinned Python packages from the lock files), so the image
# holds the tested versions and nothing else.
#
#   docker build -t videokit-worker .
#   docker run -d --restart unless-stopped --stop-timeout 70 \
#     -e VIDEOKIT_TEAM_AUTH="$(cat api-auth)" -v /srv/videokit:/srv/videokit \
#     videokit-worker --server http://SERVER:4200/api --cache /srv/videokit/cache
#
# The project folder (media/, build/, review/) must be mounted at the same path as on the server.
# --stop-timeout: a stopped worker lets its runs finish or hands them back (about a minute).
FROM python:3.11-slim-bookworm

RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make fontconfig \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/videokit
COPY . .
# The project's own install: the Debian packages and the virtual environment of `make run`.
RUN make system-deps .venv/.installed PYTHON=python3 && rm -rf /var/lib/apt/lists/* /root/.cache

ARG MODEL=base
RUN useradd --create-home videokit && chown -R videokit /opt/videokit
USER videokit
ENV PATH=/opt/videokit/.venv/bin:$PATH PYTHONUNBUFFERED=1
# The model is fetched at build time, so a worker starts without reaching the internet.
RUN videokit models pull "$MODEL"

STOPSIGNAL SIGTERM
ENTRYPOINT ["videokit", "team", "worker"]
CMD ["--help"]
