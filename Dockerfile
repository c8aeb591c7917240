# syntax=docker/dockerfile:1
# QuayGateway image: build with the SDK, run on the ASP.NET Core runtime as a non-root user on port 8080.
#   docker build -t quay-gateway:dev .
#   docker run -p 8080:8080 -e ConnectionStrings__Gateway=... quay-gateway:dev
#   docker run -e ConnectionStrings__Gateway=... quay-gateway:dev migrate     (what the chart's migration Job runs)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source

# Restore first, from the project files and the central build/package settings only, so the layer is reused
# until a dependency changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/QuayGateway/QuayGateway.csproj src/QuayGateway/
COPY src/QuayGateway.Sandbox/QuayGateway.Sandbox.csproj src/QuayGateway.Sandbox/
COPY migrations/QuayGateway.Migrations/QuayGateway.Migrations.csproj migrations/QuayGateway.Migrations/
RUN dotnet restore src/QuayGateway/QuayGateway.csproj

# The gateway and what it references; tests, benchmarks and local data never enter the image.
COPY src/ src/
COPY migrations/ migrations/
RUN dotnet publish src/QuayGateway/QuayGateway.csproj --no-restore -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./

ENV ASPNETCORE_HTTP_PORTS=8080 \
    ASPNETCORE_ENVIRONMENT=Production
EXPOSE 8080

# The image's 'app' user, by number so Kubernetes' runAsNonRoot can verify it. OpenShift's restricted SCC may pick
# another UID; nothing here depends on it (the root filesystem can be read-only; only /tmp must be writable).
USER 1654

# Kubernetes probes /healthz and /readyz; no Docker HEALTHCHECK. Arguments go to the gateway: 'migrate' applies
# the database migrations and exits.
ENTRYPOINT ["dotnet", "QuayGateway.dll"]
