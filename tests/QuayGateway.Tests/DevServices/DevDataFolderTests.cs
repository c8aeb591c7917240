using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using QuayGateway.DevServices;

namespace QuayGateway.Tests.DevServices;

public sealed class DevDataFolderTests
{
    [Fact]
    public void The_development_bootstrap_key_is_the_same_after_a_restart_until_its_file_is_deleted()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var first = BootstrapKeyOfADevelopmentStart(folder);
            var second = BootstrapKeyOfADevelopmentStart(folder);

            Assert.StartsWith("qgw_", first, StringComparison.Ordinal);
            Assert.Equal(first, second);
            var file = Path.Combine(folder, DevDataFolder.BootstrapKeyFile);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            File.Delete(file);
            Assert.NotEqual(first, BootstrapKeyOfADevelopmentStart(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_configured_bootstrap_key_wins_and_nothing_is_written()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var builder = DevelopmentBuilder(folder, "--Gateway:Auth:BootstrapApiKey=configured-key");
            builder.AddDevServices();

            Assert.Equal("configured-key", builder.Configuration["Gateway:Auth:BootstrapApiKey"]);
            Assert.False(File.Exists(Path.Combine(folder, DevDataFolder.BootstrapKeyFile)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void In_development_the_sandbox_kubeconfig_is_written_next_to_the_dev_data()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                EnvironmentName = Environments.Development,
                Args = [$"--{DevDataFolder.Setting}={folder}", "--ConnectionStrings:Gateway=Host=127.0.0.1;Database=unused"],
            });
            builder.AddDevServices();

            Assert.Equal("true", builder.Configuration["Gateway:Clusters:sandbox:sandbox"]);
            // Per checkout, like the sandbox's state: two checkouts on one machine never share a sandbox.
            var checkout = DevDataFolder.CheckoutFolder(builder.Configuration, builder.Environment.ContentRootPath);
            Assert.StartsWith(Path.Combine(folder, "checkouts") + Path.DirectorySeparatorChar, checkout, StringComparison.Ordinal);
            Assert.Equal(Path.Combine(checkout, DevDataFolder.KubeconfigFile), builder.Configuration["Gateway:Sandbox:KubeconfigPath"]);
            Assert.Equal(Path.Combine(checkout, DevDataFolder.SandboxStateFolder), builder.Configuration["Gateway:Sandbox:StateDir"]);
            Assert.Equal($"kubectl --kubeconfig {Path.Combine(folder, "sandbox.kubeconfig")} get quayregistries -A",
                DevSandboxes.KubectlCommand(Path.Combine(folder, "sandbox.kubeconfig")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Two_checkouts_get_their_own_folder_and_database_name_and_one_checkout_always_the_same()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var one = Path.Combine(root, "quay-gateway");
            var two = Path.Combine(root, "second checkout");
            foreach (var checkout in new[] { one, two })
            {
                Directory.CreateDirectory(Path.Combine(checkout, ".git"));
                Directory.CreateDirectory(Path.Combine(checkout, "src", "QuayGateway"));
            }

            var keyOne = DevDataFolder.CheckoutKey(Path.Combine(one, "src", "QuayGateway"));
            var keyTwo = DevDataFolder.CheckoutKey(Path.Combine(two, "src", "QuayGateway"));

            Assert.NotEqual(keyOne, keyTwo);
            Assert.Equal(keyOne, DevDataFolder.CheckoutKey(one));
            Assert.Matches("^quay_gateway_[0-9a-f]{8}$", keyOne);
            Assert.Matches("^second_checkout_[0-9a-f]{8}$", keyTwo);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>What a start in Development does with configuration; the host is not built, so nothing else starts.</summary>
    private static string BootstrapKeyOfADevelopmentStart(string folder)
    {
        var builder = DevelopmentBuilder(folder);
        builder.AddDevServices();
        return builder.Configuration["Gateway:Auth:BootstrapApiKey"]!;
    }

    private static WebApplicationBuilder DevelopmentBuilder(string folder, params string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            Args =
            [
                $"--{DevDataFolder.Setting}={folder}",
                // A connection string and a cluster of its own: no dev PostgreSQL, no default sandbox.
                "--ConnectionStrings:Gateway=Host=127.0.0.1;Database=unused",
                "--Gateway:Clusters:c1:kubeconfig=/nonexistent",
                .. args,
            ],
        });
}
