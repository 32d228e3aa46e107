//! Request bodies read within a size limit and a deadline, for every route: an oversize body is
//! drained (never held) and refused; a body that trickles in is cut off at the deadline.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use futures_util::StreamExt;

/// How much of an oversize or unwanted body is read and thrown away so that the client, still
/// sending, gets the answer instead of a reset connection; beyond it (or after `DRAIN_SECS`) the
/// connection closes.
const DRAIN_CAP_BYTES: usize = 64 << 20;
const DRAIN_SECS: u64 = 10;

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit: the size when known (announced, or counted while draining).
    TooLarge { size: Option<usize>, limit: usize },
    /// Not complete within the deadline.
    Timeout(Duration),
    /// The client's stream broke off.
    Broken(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { size, limit } => {
                let size = size.map_or_else(|| format!("more than {limit}"), |n| n.to_string());
                write!(
                    f,
                    "the request body is {size} bytes; the limit is {limit} bytes"
                )
            }
            BodyError::Timeout(d) => write!(
                f,
                "the request body did not arrive within {} s",
                d.as_secs()
            ),
            BodyError::Broken(e) => write!(f, "the request body broke off: {e}"),
        }
    }
}

/// The body length the client announced, if any.
pub fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Reads and drops a body that will not be used (bounded by `DRAIN_CAP_BYTES` and `DRAIN_SECS`),
/// so that a client still sending it receives the answer rather than a reset connection.
pub async fn discard(req: Request) {
    if declared_length(&req).is_some_and(|n| n > DRAIN_CAP_BYTES) {
        return;
    }
    let mut stream = req.into_body().into_data_stream();
    let drain = async {
        let mut total = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            total += chunk.len();
            if total > DRAIN_CAP_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(DRAIN_SECS), drain).await;
}

/// Reads the whole body: at most `limit` bytes, within `deadline`.
pub async fn read(req: Request, limit: usize, deadline: Duration) -> Result<Bytes, BodyError> {
    if let Some(n) = declared_length(&req)
        && n > limit
    {
        discard(req).await;
        return Err(BodyError::TooLarge {
            size: Some(n),
            limit,
        });
    }
    let mut stream = req.into_body().into_data_stream();
    let mut body = Vec::new();
    let mut total = 0usize;
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| BodyError::Broken(e.to_string()))?;
            total += chunk.len();
            if total <= limit {
                body.extend_from_slice(&chunk);
            } else {
                body = Vec::new();
                if total > DRAIN_CAP_BYTES {
                    break;
                }
            }
        }
        Ok::<(), BodyError>(())
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(())) if total <= limit => Ok(Bytes::from(body)),
        Ok(Ok(())) => Err(BodyError::TooLarge {
            size: (total <= DRAIN_CAP_BYTES).then_some(total),
            limit,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(BodyError::Timeout(deadline)),
    }
}
