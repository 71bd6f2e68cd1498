using Holdfast.Cli;

return await HoldfastCli.RunAsync(args, Holdfast.Cli.Common.CliConsole.System());
