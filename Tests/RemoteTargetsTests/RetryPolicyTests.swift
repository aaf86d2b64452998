import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import RemoteTargets

/// Only idempotent requests are retried; a server echoing credentials never gets
/// them into a message (#17).
@Suite struct RetryPolicyTests {
    @Test func onlyIdempotentMethodsAreRetriedAfterAnUnknownOutcome() {
        for method in ["GET", "HEAD", "PUT", "DELETE"] { #expect(RESTClient.idempotentMethods.contains(method)) }
        for method in ["POST", "PATCH"] { #expect(!RESTClient.idempotentMethods.contains(method)) }
        #expect(RESTClient.neverSent(HTTPClientError.connectTimeout), "nothing was sent: safe to send again")
        #expect(RESTClient.neverSent(IOError(errnoCode: ECONNREFUSED, reason: "connect")))
        #expect(!RESTClient.neverSent(HTTPClientError.remoteConnectionClosed), "it may have landed")
        #expect(!RESTClient.neverSent(HTTPClientError.deadlineExceeded))
        #expect(!RESTClient.neverSent(HTTPClientError.readTimeout))
        let failure = RESTClient.unknownOutcome(RESTClient.Failure(status: 500, code: nil, message: "Databricks answered 500"), method: "POST", path: "/api/2.0/sql/statements")
        #expect(failure.message == "Databricks answered 500; POST /api/2.0/sql/statements may or may not have taken effect, so it was not sent again: the next plan observes what exists and goes on from there")
    }

    @Test func echoedCredentialsAreRedacted() {
        let text = RESTClient.redacting(["Bearer dapi-0123456789abcdef", "short"], in: "invalid header Authorization: Bearer dapi-0123456789abcdef; token dapi-0123456789abcdef; short")
        #expect(text == "invalid header Authorization: [redacted]; token [redacted]; short")
    }
}
