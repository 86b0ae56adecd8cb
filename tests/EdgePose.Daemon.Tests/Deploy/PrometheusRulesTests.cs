namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>deploy/prometheus checked and unit-tested by promtool (each alert firing and silent: edgepose.rules.test.yml).</summary>
public sealed class PrometheusRulesTests
{
    [FactRequiring("promtool", "prometheus")]
    public async Task Rules_and_scrape_config_pass_promtool_check()
    {
        var rules = await DeployTestKit.RunAsync("promtool", ["check", "rules", "edgepose.rules.yml"], workingDirectory: DeployTestKit.PathOf("deploy/prometheus"));
        Assert.True(rules.ExitCode == 0, rules.Stdout + rules.Stderr);
        Assert.Contains("SUCCESS: 8 rules found", rules.Stdout);

        var config = await DeployTestKit.RunAsync("promtool", ["check", "config", "prometheus.yml"], workingDirectory: DeployTestKit.PathOf("deploy/prometheus"));
        Assert.True(config.ExitCode == 0, config.Stdout + config.Stderr);
    }

    [FactRequiring("promtool", "prometheus")]
    public async Task Every_alert_fires_on_a_broken_board_and_stays_silent_on_a_healthy_one()
    {
        var test = await DeployTestKit.RunAsync("promtool", ["test", "rules", "edgepose.rules.test.yml"], workingDirectory: DeployTestKit.PathOf("deploy/prometheus"));
        Assert.True(test.ExitCode == 0, test.Stdout + test.Stderr);

        // Each alert in the rules file appears in the unit tests, so a new alert cannot go untested.
        var testFile = File.ReadAllText(DeployTestKit.PathOf("deploy/prometheus/edgepose.rules.test.yml"));
        foreach (var alert in AlertNames())
        {
            Assert.Contains($"alertname: {alert}\n", testFile);
            Assert.Contains($"alertname: {alert}, exp_alerts: []", testFile);
        }
    }

    internal static IEnumerable<string> AlertNames() =>
        File.ReadAllLines(DeployTestKit.PathOf("deploy/prometheus/edgepose.rules.yml"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal))
            .Select(l => l["- alert: ".Length..]);
}
