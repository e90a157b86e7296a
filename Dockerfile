# syntax=docker/dockerfile:1
# One image for every InvestoChat process: the web, the dispatcher, the workers, the scheduler and
# the migrations differ only in the `investochat` command they run (compose.yaml, Procfile,
# docs/deploy.md). It connects to PostgreSQL and Redis by DATABASE_URL and REDIS_URL: the embedded
# servers and the test tools are not installed.

ARG PYTHON_VERSION=3.12

# --- build: a virtualenv with the runtime dependencies (any package without a wheel for this
# platform is built here, where pip and the build tools are) and the app, installed in place.
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# The dependencies first, in a layer rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt
COPY . .
# Installed in place, so the `investochat` command runs the code in /app, next to migrations/
# (which `investochat db upgrade` reads from there). Compiled now: the app cannot write to /app.
RUN pip install --no-deps --editable . \
    && python -m compileall -q app workers config.py wsgi.py migrations

# --- runtime: the virtualenv and the code, owned by root and run by an unprivileged user.
FROM python:${PYTHON_VERSION}-slim
# A home of its own: gunicorn keeps its control socket in ~/.gunicorn.
RUN groupadd --system --gid 10001 investochat \
    && useradd --system --uid 10001 --gid investochat --create-home --home-dir /home/investochat \
        --shell /usr/sbin/nologin investochat
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INVESTOCHAT_ENV=production
WORKDIR /app
USER investochat:investochat
EXPOSE 8000
# No HEALTHCHECK here: the same image runs processes that serve no HTTP. compose.yaml checks the
# web's /readyz.
CMD ["investochat", "web", "--host", "0.0.0.0", "--port", "8000"]
