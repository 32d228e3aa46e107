//! The DynamoDB request log: the `/image-edit` API's table, one item per edit, holding exactly the
//! schema's attributes (the record's `engine` and `outputs` stay local).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};

use super::{ERROR_MAX_CHARS, EditRecord, PROMPT_MAX_CHARS, truncate};
use crate::error::{Error, Result, error_chain};

/// The table's name when neither `--table` nor `DYNAMODB_TABLE_NAME` says otherwise.
pub const DEFAULT_TABLE: &str = "ImageGenerationTable";
/// The environment variable the Lambda (and `imgedit history --table`) reads the table name from.
pub const TABLE_ENV: &str = "DYNAMODB_TABLE_NAME";

/// The schema's attribute names, in the table's documented order.
pub const ATTRIBUTES: [&str; 11] = [
    "id",
    "timestamp",
    "model_id",
    "prompt",
    "mode",
    "image_base64_size_bytes",
    "mask_base64_size_bytes",
    "output_images_size_bytes",
    "generation_time_ms",
    "success",
    "error_message",
];

/// How long `create_table_if_missing` waits for a new table to become ACTIVE.
const ACTIVE_WAIT: Duration = Duration::from_secs(30);

/// The request log table.
#[derive(Debug, Clone)]
pub struct DynamoLog {
    client: Client,
    table: String,
}

impl DynamoLog {
    /// A client from the standard AWS chain (`region` and `profile` override it;
    /// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` are honoured), with short timeouts and at
    /// most two attempts, so an unreachable endpoint fails within seconds.
    pub async fn new(table: &str, region: Option<&str>, profile: Option<&str>) -> DynamoLog {
        use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(Duration::from_secs(4))
                    .operation_timeout(Duration::from_secs(5))
                    .build(),
            );
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = region {
            loader = loader.region(Region::new(r.to_string()));
        }
        let cfg = loader.load().await;
        DynamoLog::from_client(Client::new(&cfg), table)
    }

    /// A log over an existing client (tests point it at an emulator).
    pub fn from_client(client: Client, table: &str) -> DynamoLog {
        DynamoLog {
            client,
            table: table.to_string(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (key `id` S, on-demand) unless it exists and waits until it is ACTIVE.
    /// Returns true when it was created.
    pub async fn create_table_if_missing(&self) -> Result<bool> {
        let sent = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| self.err_text("cannot build the create request", &e))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| self.err_text("cannot build the create request", &e))?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match sent {
            Ok(_) => {}
            Err(e) if service_code(&e) == Some("ResourceInUseException") => return Ok(false),
            Err(e) => return Err(self.plain_words("cannot be created", &e)),
        }
        let started = Instant::now();
        loop {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await;
            match described {
                Ok(out) => {
                    let status = out.table().and_then(|t| t.table_status());
                    if status == Some(&TableStatus::Active) {
                        return Ok(true);
                    }
                }
                // Eventually consistent: a table just created may not be described yet.
                Err(e) if service_code(&e) == Some("ResourceNotFoundException") => {}
                Err(e) => return Err(self.plain_words("was created but cannot be described", &e)),
            }
            if started.elapsed() >= ACTIVE_WAIT {
                return Err(Error::Engine(format!(
                    "DynamoDB table {}: was created but is not ACTIVE after {} s",
                    self.table,
                    ACTIVE_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Writes one record (PutItem; a record with the same id is replaced).
    pub async fn put(&self, record: &EditRecord) -> Result<()> {
        tracing::debug!(table = %self.table, id = %record.id, "PutItem");
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.plain_words("cannot write the record", &e))
    }

    /// Every record in the table (a paginated Scan), oldest first, and how many items were
    /// skipped because they do not follow the schema.
    pub async fn scan_all(&self) -> Result<(Vec<EditRecord>, usize)> {
        let mut records = Vec::new();
        let mut bad = 0;
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.plain_words("cannot be read", &e))?;
            for item in page.items() {
                match from_item(item) {
                    Some(r) => records.push(r),
                    None => bad += 1,
                }
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        // ISO 8601 UTC timestamps of one format sort as text; the id breaks ties.
        records.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.id.cmp(&b.id)));
        Ok((records, bad))
    }

    fn err_text(&self, what: &str, e: &dyn std::error::Error) -> Error {
        Error::Engine(format!("DynamoDB table {}: {what}: {e}", self.table))
    }

    /// An SDK error in plain words, naming the table and what failed.
    fn plain_words<E, R>(&self, what: &str, err: &SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let t = &self.table;
        let SdkError::ServiceError(se) = err else {
            let detail = error_chain(err);
            let lower = detail.to_lowercase();
            return match err {
                SdkError::TimeoutError(_) => Error::Engine(format!(
                    "DynamoDB table {t}: {what}: DynamoDB did not answer in time ({detail})"
                )),
                _ if lower.contains("credentials") => Error::Auth(format!(
                    "DynamoDB table {t}: {what}: no AWS credentials (set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): {detail}"
                )),
                _ if lower.contains("region") => Error::Usage(format!(
                    "DynamoDB table {t}: {what}: no AWS region (pass --region or set AWS_REGION): {detail}"
                )),
                SdkError::DispatchFailure(_) => Error::Engine(format!(
                    "DynamoDB table {t}: {what}: cannot reach DynamoDB: {detail}"
                )),
                _ => Error::Engine(format!("DynamoDB table {t}: {what}: {detail}")),
            };
        };
        let code = se.err().code().unwrap_or("Unknown");
        let msg = se.err().message().unwrap_or("");
        let said = if msg.is_empty() {
            code.to_string()
        } else {
            format!("{code}: {msg}")
        };
        match code {
            "ResourceNotFoundException" => Error::Engine(format!(
                "DynamoDB table {t}: does not exist (create it with imgedit serve --create-table)"
            )),
            "AccessDeniedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "MissingAuthenticationToken"
            | "ExpiredTokenException"
            | "IncompleteSignature" => Error::Auth(format!(
                "DynamoDB table {t}: {what}: access refused; check the AWS credentials and that they allow this table (AWS said {said})"
            )),
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded" => Error::Engine(format!(
                "DynamoDB table {t}: {what}: throttled by DynamoDB; try again later (AWS said {said})"
            )),
            _ => Error::Engine(format!("DynamoDB table {t}: {what}: {said}")),
        }
    }
}

fn service_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

/// The item for a record: exactly the schema's attributes, text truncated to its limits,
/// `error_message` only when set.
pub fn to_item(r: &EditRecord) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_string());
    let n = |v: u64| AttributeValue::N(v.to_string());
    let mut item = HashMap::from([
        ("id".to_string(), s(&r.id)),
        ("timestamp".to_string(), s(&r.timestamp)),
        ("model_id".to_string(), s(&r.model_id)),
        (
            "prompt".to_string(),
            AttributeValue::S(truncate(&r.prompt, PROMPT_MAX_CHARS)),
        ),
        ("mode".to_string(), s(&r.mode)),
        (
            "image_base64_size_bytes".to_string(),
            n(r.image_base64_size_bytes),
        ),
        (
            "mask_base64_size_bytes".to_string(),
            n(r.mask_base64_size_bytes),
        ),
        (
            "output_images_size_bytes".to_string(),
            n(r.output_images_size_bytes),
        ),
        ("generation_time_ms".to_string(), n(r.generation_time_ms)),
        ("success".to_string(), AttributeValue::Bool(r.success)),
    ]);
    if let Some(e) = &r.error_message {
        item.insert(
            "error_message".to_string(),
            AttributeValue::S(truncate(e, ERROR_MAX_CHARS)),
        );
    }
    item
}

/// The record an item holds, or None when a required attribute is missing or of the wrong type.
/// Numbers written by other clients as decimals (`12.0`) are accepted and rounded.
pub fn from_item(item: &HashMap<String, AttributeValue>) -> Option<EditRecord> {
    let s = |k: &str| item.get(k)?.as_s().ok().cloned();
    let n = |k: &str| -> Option<u64> {
        let text = item.get(k)?.as_n().ok()?;
        text.parse::<u64>().ok().or_else(|| {
            let f = text.parse::<f64>().ok()?;
            (f.is_finite() && f >= 0.0 && f <= u64::MAX as f64).then(|| f.round() as u64)
        })
    };
    Some(EditRecord {
        id: s("id")?,
        timestamp: s("timestamp")?,
        model_id: s("model_id")?,
        prompt: s("prompt")?,
        mode: s("mode")?,
        image_base64_size_bytes: n("image_base64_size_bytes")?,
        mask_base64_size_bytes: n("mask_base64_size_bytes")?,
        output_images_size_bytes: n("output_images_size_bytes")?,
        generation_time_ms: n("generation_time_ms")?,
        success: *item.get("success")?.as_bool().ok()?,
        error_message: match item.get("error_message") {
            None | Some(AttributeValue::Null(_)) => None,
            Some(v) => Some(v.as_s().ok()?.clone()),
        },
        engine: None,
        input: None,
        outputs: Vec::new(),
        request_ids: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EditRecord {
        let mut r = EditRecord::new(
            "amazon.titan-image-generator-v2:0",
            "a red door",
            "INPAINTING",
        );
        r.image_base64_size_bytes = 1234;
        r.mask_base64_size_bytes = 56;
        r.output_images_size_bytes = 7890;
        r.generation_time_ms = 4321;
        r.success = true;
        r
    }

    fn keys(item: &HashMap<String, AttributeValue>) -> Vec<&str> {
        let mut k: Vec<&str> = item.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    #[test]
    fn items_hold_exactly_the_schema_and_round_trip() {
        let mut r = sample();
        r.engine = Some("bedrock".into());
        r.outputs = vec!["out.png".into()];
        let item = to_item(&r);
        let mut want: Vec<&str> = ATTRIBUTES[..10].to_vec();
        want.sort_unstable();
        assert_eq!(keys(&item), want, "no error_message, engine or outputs");
        for k in ["id", "timestamp", "model_id", "prompt", "mode"] {
            assert!(item[k].is_s(), "{k} is S");
        }
        for k in [
            "image_base64_size_bytes",
            "mask_base64_size_bytes",
            "output_images_size_bytes",
            "generation_time_ms",
        ] {
            assert!(item[k].is_n(), "{k} is N");
        }
        assert_eq!(item["generation_time_ms"], AttributeValue::N("4321".into()));
        assert_eq!(item["success"], AttributeValue::Bool(true));

        let back = from_item(&item).unwrap();
        r.engine = None;
        r.outputs.clear();
        assert_eq!(back, r);
    }

    #[test]
    fn error_message_is_written_only_when_set_and_truncated() {
        let mut r = sample();
        r.fail("throttled");
        let item = to_item(&r);
        let mut want = ATTRIBUTES.to_vec();
        want.sort_unstable();
        assert_eq!(keys(&item), want);
        assert_eq!(item["success"], AttributeValue::Bool(false));
        assert_eq!(from_item(&item).unwrap(), r);

        // Fields set directly (not through new/fail) are still truncated on the way out.
        r.prompt = "p".repeat(1500);
        r.error_message = Some("é".repeat(900));
        let item = to_item(&r);
        assert_eq!(
            item["prompt"].as_s().unwrap().chars().count(),
            PROMPT_MAX_CHARS
        );
        assert_eq!(
            item["error_message"].as_s().unwrap().chars().count(),
            ERROR_MAX_CHARS
        );
    }

    #[test]
    fn items_off_the_schema_are_rejected() {
        let good = to_item(&sample());
        for k in ["id", "timestamp", "success", "generation_time_ms"] {
            let mut item = good.clone();
            item.remove(k);
            assert!(from_item(&item).is_none(), "missing {k}");
        }
        let mut item = good.clone();
        item.insert("success".into(), AttributeValue::S("true".into()));
        assert!(from_item(&item).is_none(), "success as S");
        let mut item = good.clone();
        item.insert("generation_time_ms".into(), AttributeValue::N("-3".into()));
        assert!(from_item(&item).is_none(), "negative N");
        let mut item = good.clone();
        item.insert("error_message".into(), AttributeValue::N("1".into()));
        assert!(from_item(&item).is_none(), "error_message as N");

        let mut item = good;
        item.insert(
            "generation_time_ms".into(),
            AttributeValue::N("12.0".into()),
        );
        item.insert("error_message".into(), AttributeValue::Null(true));
        let r = from_item(&item).unwrap();
        assert_eq!((r.generation_time_ms, r.error_message), (12, None));
    }
}
