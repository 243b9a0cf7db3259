# The web and worker image of docker-compose.yml (one image, two commands).

# Front-end libraries of the labeling pages, exactly as package-lock.json pins them; only their
# dist folders become static files (STATICFILES_DIRS), so Node is not in the final image.
FROM node:20-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, read from pyproject.toml, so that a code change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=frontend /app/node_modules ./node_modules
# The packages run in place from /app (PYTHONPATH), not from a built wheel: a wheel of this
# project carries no templates or static files (pyproject.toml declares no package data).
# collectstatic imports the settings, which refuse to start without a SECRET_KEY when DEBUG is
# off, hence the throwaway key; DEBUG off selects the hashed, compressed static storage that
# whitenoise serves.
RUN DEBUG=false SECRET_KEY=collectstatic-only VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput -v 0 \
    && rm -rf /tmp/build-var \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /data/media /data/var \
    && chown -R app:app /data

# A named volume mounted here starts with this folder's owner, so the app user can write it.
VOLUME ["/data/media"]
ENV MEDIA_ROOT=/data/media \
    VAR_DIR=/data/var

USER app
EXPOSE 8000

# Workers, timeout and logging: gunicorn.conf.py (WEB_CONCURRENCY sets the number of workers).
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000"]
