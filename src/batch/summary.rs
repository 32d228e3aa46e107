//! The account of a batch: what was done, skipped and failed (with reasons), how long it took and
//! how fast it went, as text for people and as one JSON object for `--json`; and, before
//! spending, what a batch will cost.

use std::time::Duration;

use serde::Serialize;

use crate::edit::engine::EngineKind;
use crate::edit::model::{Family, ModelSpec};
use crate::error::exit;

/// One failed item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedItem {
    pub input: String,
    pub reason: String,
    /// The exit code the error alone would have given.
    pub code: u8,
}

/// The end of a batch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Items in the batch.
    pub total: usize,
    /// Items finished by this run.
    pub done: usize,
    /// Items a resumed run found finished before.
    pub skipped: usize,
    pub failed: Vec<FailedItem>,
    /// Items not finished because the run was interrupted (not started, or cancelled).
    pub unfinished: usize,
    pub interrupted: bool,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    /// Whether a dry run (nothing sent, nothing written).
    pub dry_run: bool,
    /// How to go on after an interruption or failures, when the batch can be resumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl Summary {
    /// Items finished by this run per minute of its time.
    pub fn per_minute(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        self.done as f64 * 60.0 / secs
    }

    /// The process exit code: 0, 6 when some items failed, 130 when interrupted.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if self.failed.is_empty() {
            exit::OK
        } else {
            exit::PARTIAL
        }
    }

    /// The summary as lines for stderr.
    pub fn text(&self) -> String {
        let verb = if self.dry_run { "checked" } else { "edited" };
        let mut s = format!(
            "{} {verb}, {} failed, {} in all",
            self.done,
            self.failed.len(),
            self.total
        );
        if self.skipped > 0 {
            s += &format!(", {} skipped (done before)", self.skipped);
        }
        if self.unfinished > 0 {
            s += &format!(", {} not finished", self.unfinished);
        }
        s += &format!(
            "; {:.1} s, {:.1} items/min",
            self.elapsed.as_secs_f64(),
            self.per_minute()
        );
        for f in &self.failed {
            s += &format!("\n  failed: {}: {}", f.input, f.reason);
        }
        if let Some(r) = &self.resume {
            s += &format!("\nto finish the batch: {r}");
        }
        s
    }

    /// The summary as the final `--json` object (`"summary": true` tells it from the lines
    /// about outputs).
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("summary".into(), true.into());
            o.insert(
                "failed_count".into(),
                serde_json::Value::from(self.failed.len()),
            );
            o.insert(
                "items_per_minute".into(),
                serde_json::Value::from((self.per_minute() * 10.0).round() / 10.0),
            );
            o.insert(
                "elapsed_s".into(),
                o.get("elapsed").cloned().unwrap_or_default(),
            );
            o.remove("elapsed");
        }
        v
    }
}

/// What a batch will send and cost, from `ModelSpec`'s prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub items: usize,
    pub engine: &'static str,
    pub model: &'static str,
    /// Calls to the service (0 for the local engine).
    pub calls: u64,
    /// Images made and billed.
    pub images: u64,
    pub price_per_image_usd: f64,
    pub estimated_price_usd: f64,
    /// What the estimate cannot know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

impl Estimate {
    /// `items` items of `num_images` results each on `model` through `engine`.
    pub fn new(
        engine: EngineKind,
        model: &'static ModelSpec,
        items: usize,
        num_images: u32,
    ) -> Self {
        let n = u64::from(num_images.max(1));
        let items64 = items as u64;
        let (calls_per_item, note) = match (engine, model.family) {
            (EngineKind::Local, _) | (_, Family::Local) => (0, None),
            // one call makes every image (numberOfImages)
            (EngineKind::Bedrock, Family::Titan | Family::NovaCanvas) => (1, None),
            // the Stability tools make one image a call
            (EngineKind::Bedrock, _) => (n, None),
            (EngineKind::Api, _) => (
                1,
                Some(
                    "an API like the original Lambda makes and bills 2 images a call whatever -n asks, and needs a further call for each 2 more",
                ),
            ),
        };
        let images = if calls_per_item == 0 { 0 } else { items64 * n };
        let price = if calls_per_item == 0 {
            0.0
        } else {
            model.price_per_image_usd
        };
        Estimate {
            items,
            engine: engine.as_str(),
            model: model.id,
            calls: items64 * calls_per_item,
            images,
            price_per_image_usd: price,
            estimated_price_usd: ((images as f64 * price) * 100.0).round() / 100.0,
            note,
        }
    }

    /// "200 items: 200 calls to bedrock us.stability...: 200 images, about $8.00 ($0.04 an image)".
    pub fn text(&self) -> String {
        if self.calls == 0 {
            return format!(
                "{} items on the {} engine: no calls, no charge",
                self.items, self.engine
            );
        }
        let mut s = format!(
            "{} items: {} calls to {} {}, {} images, about ${:.2} (${} an image)",
            self.items,
            self.calls,
            self.engine,
            self.model,
            self.images,
            self.estimated_price_usd,
            self.price_per_image_usd
        );
        if let Some(n) = self.note {
            s += &format!("; note: {n}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_tell_the_same_account() {
        let s = Summary {
            total: 10,
            done: 6,
            skipped: 2,
            failed: vec![FailedItem {
                input: "in/b.png".into(),
                reason: "no mask named b.png".into(),
                code: 3,
            }],
            unfinished: 1,
            interrupted: false,
            elapsed: Duration::from_secs(30),
            dry_run: false,
            resume: Some("imgedit edit in --output-dir out --resume".into()),
        };
        assert_eq!(s.per_minute(), 12.0);
        assert_eq!(s.exit_code(), exit::PARTIAL);
        let t = s.text();
        assert!(
            t.starts_with("6 edited, 1 failed, 10 in all, 2 skipped (done before), 1 not finished; 30.0 s, 12.0 items/min"),
            "{t}"
        );
        assert!(t.contains("failed: in/b.png: no mask named b.png"), "{t}");
        assert!(t.contains("to finish the batch: imgedit edit in --output-dir out --resume"));
        let j = s.json();
        assert_eq!(j["summary"], true);
        assert_eq!(j["done"], 6);
        assert_eq!(j["skipped"], 2);
        assert_eq!(j["failed_count"], 1);
        assert_eq!(j["failed"][0]["reason"], "no mask named b.png");
        assert_eq!(j["items_per_minute"], 12.0);
        assert_eq!(j["elapsed_s"], 30.0);
        let ok = Summary {
            done: 1,
            total: 1,
            ..Summary::default()
        };
        assert_eq!(ok.exit_code(), exit::OK);
        let stopped = Summary {
            interrupted: true,
            ..ok
        };
        assert_eq!(stopped.exit_code(), exit::INTERRUPTED);
    }

    #[test]
    fn the_estimate_counts_calls_and_images_from_the_model_table() {
        let stab = crate::edit::model::find("us.stability.stable-image-inpaint-v1:0").unwrap();
        let e = Estimate::new(EngineKind::Bedrock, stab, 1000, 2);
        assert_eq!((e.calls, e.images), (2000, 2000));
        let expected = (2000.0 * stab.price_per_image_usd * 100.0).round() / 100.0;
        assert_eq!(e.estimated_price_usd, expected);
        assert!(e.text().starts_with("1000 items: 2000 calls to bedrock us.stability.stable-image-inpaint-v1:0, 2000 images, about $"), "{}", e.text());
        let titan = crate::edit::model::find("amazon.titan-image-generator-v2:0").unwrap();
        let e = Estimate::new(EngineKind::Bedrock, titan, 10, 3);
        assert_eq!((e.calls, e.images), (10, 30));
        let local = Estimate::new(EngineKind::Local, crate::edit::model::local(), 5, 1);
        assert_eq!((local.calls, local.estimated_price_usd), (0, 0.0));
        assert!(local.text().contains("no charge"));
    }
}
