//! Provider keys and signatures (ed25519): a provider keeps its signing key, registers the
//! public key once, and signs every plugin manifest it publishes; the runtime verifies the
//! signature against the registered key at publish and at every load.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// Why a key or a signature is not usable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Format(String),
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// Prefix of a signing key file: the key is secret, the prefix says so.
const SECRET_PREFIX: &str = "dataplace-ed25519-secret:";

/// A new signing key from the operating system's randomness.
///
/// # Errors
/// [`KeyError::Random`] when the OS has no randomness to give.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The text of a signing key file.
pub fn secret_text(key: &SigningKey) -> String {
    format!("{SECRET_PREFIX}{}\n", hex::encode(key.to_bytes()))
}

/// A signing key from its file text.
///
/// # Errors
/// [`KeyError::Format`] when the text is not a dataplace signing key.
pub fn parse_secret(text: &str) -> Result<SigningKey, KeyError> {
    let hex_key = text.trim().strip_prefix(SECRET_PREFIX).ok_or_else(|| KeyError::Format(format!("not a dataplace signing key (expected {SECRET_PREFIX}…)")))?;
    let bytes: [u8; 32] = hex::decode(hex_key).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| KeyError::Format("the signing key is not 32 hex bytes".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// A public key as hex.
pub fn public_hex(key: &VerifyingKey) -> String {
    hex::encode(key.to_bytes())
}

/// A public key from hex.
///
/// # Errors
/// [`KeyError::Format`] when it is not 32 hex bytes of a valid ed25519 point.
pub fn parse_public(text: &str) -> Result<VerifyingKey, KeyError> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| KeyError::Format("a public key is 32 hex bytes".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Format(format!("not an ed25519 public key: {e}")))
}

/// Sign `message`, returning the signature as hex.
pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    hex::encode(key.sign(message).to_bytes())
}

/// True when `signature` (hex) is `key`'s signature of `message`.
pub fn verify(key: &VerifyingKey, message: &[u8], signature: &str) -> bool {
    let Some(bytes) = hex::decode(signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else { return false };
    key.verify(message, &Signature::from_bytes(&bytes)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_signatures_verify() {
        let key = generate().unwrap();
        let again = parse_secret(&secret_text(&key)).unwrap();
        assert_eq!(key.to_bytes(), again.to_bytes());
        let public = parse_public(&public_hex(&key.verifying_key())).unwrap();
        let sig = sign(&key, b"manifest");
        assert!(verify(&public, b"manifest", &sig));
        assert!(!verify(&public, b"manifest!", &sig), "another message");
        assert!(!verify(&generate().unwrap().verifying_key(), b"manifest", &sig), "another key");
        assert!(!verify(&public, b"manifest", "00"), "garbage");
        assert!(parse_secret("hello").is_err() && parse_public("zz").is_err());
    }
}
