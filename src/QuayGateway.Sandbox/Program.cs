namespace QuayGateway.Sandbox;

// A named entry point: a top-level Program would clash with the gateway's Program in the test project.
internal static class SandboxProgram
{
    public static async Task<int> Main(string[] args)
    {
        // The sandbox cluster on its own:
        //   dotnet run --project src/QuayGateway.Sandbox -- --kubeconfig PATH [--port N] [--state-dir PATH] [--plain-http] [--gateway-role PATH] [--profile current|3.6] [--quay-version 3.18] [--phase-delay 00:00:01]
        // The gateway's identity is bound to the chart's ClusterRole unless --gateway-role names another manifest.
        var options = new SandboxOptions { GatewayRoleManifest = SandboxCluster.ChartGatewayRoleManifest };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--kubeconfig" => options with { KubeconfigPath = Value() },
                "--port" => options with { Port = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--profile" => options with { Profile = Value() is var p && p is "current" or "3.6" ? p : throw new ArgumentException("--profile is current or 3.6") },
                "--quay-version" => options with { QuayVersion = QuayApi.QuayVersions.Normalize(Value()) },
                "--phase-delay" => options with { PhaseDelay = TimeSpan.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--name" => options with { Name = Value() },
                "--state-dir" => options with { StateDirectory = Value() },
                "--plain-http" => options with { PlainHttp = true },
                "--gateway-role" => options with { GatewayRoleManifest = File.ReadAllText(Value()) },
                _ => throw new ArgumentException($"unknown option {args[i]}; usage: --kubeconfig PATH [--port N] [--state-dir PATH] [--plain-http] [--gateway-role PATH] [--profile current|3.6] [--quay-version 3.18] [--phase-delay 00:00:01]"),
            };
        }
        if (options.KubeconfigPath is null)
        {
            Console.Error.WriteLine("usage: QuayGateway.Sandbox --kubeconfig PATH [--port N] [--state-dir PATH] [--plain-http] [--gateway-role PATH] [--profile current|3.6] [--quay-version 3.18] [--phase-delay 00:00:01]");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
        SandboxCluster started;
        try
        {
            started = await SandboxCluster.StartAsync(options, stop.Token);
        }
        catch (InvalidOperationException e) when (options.StateDirectory is not null)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }

        await using var cluster = started;
        Console.WriteLine($"Sandbox cluster '{options.Name}' (profile {options.Profile}, phase delay {options.PhaseDelay}) listening on {cluster.ApiServerUrl}");
        Console.WriteLine($"Kubeconfig written to {Path.GetFullPath(options.KubeconfigPath)}");
        Console.WriteLine(options.PlainHttp
            ? "Plain HTTP: kubectl sends no token, so a request without credentials acts as the admin."
            : "The API server speaks HTTPS; the kubeconfig carries its CA (certificate-authority-data). A request without credentials is system:anonymous.");
        Console.WriteLine($"Contexts: '{options.Name}' (current) is the cluster admin; '{cluster.GatewayContext}' is the gateway's service account " +
                          $"{SandboxCluster.GatewayIdentity.Name}, bound to its ClusterRole (the chart's unless --gateway-role): run the gateway with that context.");
        if (cluster.StateDirectory is { } kept) Console.WriteLine($"State kept in {kept}: objects, Quay data, clock and CA survive a restart.");
        Console.WriteLine($"Quay CA written to {cluster.QuayCaPath}; Quay proxy (CONNECT) is {cluster.QuayProxyUrl}. Try:");
        Console.WriteLine($"  export KUBECONFIG={Path.GetFullPath(options.KubeconfigPath)}");
        Console.WriteLine("  kubectl apply -f namespace.yaml -f quayregistry.yaml");
        Console.WriteLine("  kubectl get quayregistry,pods,hpa -n quay-enterprise");
        Console.WriteLine($"  curl --proxy {cluster.QuayProxyUrl} --cacert {cluster.QuayCaPath} https://example-registry-quay-quay-enterprise.{options.AppsDomain}/health/instance");
        Console.WriteLine($"Faults: curl{(options.PlainHttp ? "" : $" --cacert {cluster.QuayCaPath}")} {cluster.ApiServerUrl}sandbox/faults   Ctrl+C stops it.");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C
        }
        return 0;

        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
