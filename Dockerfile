# Image for deployers (docker-compose.yml). Not built on the development machines.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm libpango-1.0-0 libpangoft2-1.0-0 \
      fonts-dejavu-core fonts-noto-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml package.json package-lock.json ./
COPY parindex parindex
COPY units units
COPY criteria criteria
COPY assessments assessments
COPY surveys surveys
COPY reports reports
RUN pip install --no-cache-dir . && npm ci --no-audit --no-fund
COPY . .
RUN SECRET_KEY=build python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "parindex.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
