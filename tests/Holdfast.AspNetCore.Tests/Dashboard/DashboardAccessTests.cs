using System.Net;
using Holdfast.AspNetCore.Dashboard;
using Microsoft.AspNetCore.Http;

namespace Holdfast.AspNetCore.Tests.Dashboard;

/// <summary>Who counts as local when no policy is named.</summary>
public sealed class DashboardAccessTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", "127.0.0.1:8080")]
    [InlineData("::1", "::1", "[::1]:8080")]
    [InlineData("::ffff:127.0.0.1", "::ffff:127.0.0.1", "localhost:8080")]
    [InlineData("10.0.0.5", "10.0.0.5", "10.0.0.5:8080")]
    [InlineData("127.0.0.1", "127.0.0.1", "app.localhost")]
    public void FromTheMachineItself_ToALocalName_IsLocal(string remote, string local, string host) =>
        Assert.True(DashboardAccess.IsLocal(Request(remote, local, host)));

    [Theory]
    [InlineData("203.0.113.7", "10.0.0.5", "10.0.0.5:8080")]
    [InlineData("10.0.0.6", "10.0.0.5", "service:8080")]
    public void FromAnotherAddress_IsNotLocal(string remote, string local, string host) =>
        Assert.False(DashboardAccess.IsLocal(Request(remote, local, host)));

    [Theory]
    [InlineData("evil.example:8080")]
    [InlineData("203.0.113.9")]
    public void ALoopbackCaller_AddressingAnotherName_IsNotLocal_DnsRebinding(string host) =>
        Assert.False(DashboardAccess.IsLocal(Request("127.0.0.1", "127.0.0.1", host)));

    [Theory]
    [InlineData("X-Forwarded-For")]
    [InlineData("Forwarded")]
    [InlineData("X-Real-IP")]
    [InlineData("Via")]
    [InlineData("X-Forwarded-Proto")]
    [InlineData("X-Original-For")]
    public void ThroughAProxyOnTheSameHost_IsNotLocal(string header)
    {
        var context = Request("127.0.0.1", "127.0.0.1", "127.0.0.1:8080");
        context.Request.Headers[header] = "203.0.113.7";
        Assert.False(DashboardAccess.IsLocal(context));
    }

    [Fact]
    public void WithoutARemoteAddress_IsNotLocal() =>
        Assert.False(DashboardAccess.IsLocal(new DefaultHttpContext { Request = { Host = new HostString("localhost") } }));

    private static DefaultHttpContext Request(string remote, string local, string host)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Connection.LocalIpAddress = IPAddress.Parse(local);
        context.Request.Host = new HostString(host);
        return context;
    }
}
