//! Signing in to Amazon Cognito user pools: SRP maths, the InitiateAuth / RespondToAuthChallenge
//! flows with the challenges real pools send (second factors included), and the per-profile token
//! cache.

pub mod cache;
pub mod cognito;
pub mod mfa;
pub mod prompt;
pub mod srp;

pub use cache::{TokenCache, Tokens};
pub use cognito::{AuthFlow, CognitoSettings};
pub use mfa::MfaOptions;
