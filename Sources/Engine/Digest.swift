import Crypto
import Model

/// Digests from swift-crypto: plan identities in history, OFREP ETags, webhook signatures.
public enum Digest {
    /// The lowercase hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(Array(SHA256.hash(data: bytes)))
    }

    /// HMAC-SHA-256 of `message` under `key` (GitHub's X-Hub-Signature-256).
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Plan {
    /// The SHA-256 of `canonicalEncoding`, in hex: what history records as the plan digest.
    public var digest: String { Digest.sha256Hex(canonicalEncoding) }
}
