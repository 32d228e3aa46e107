//! `imgedit serve`'s `/image-edit` answers read into the wire structs the `api` engine reads them
//! with, and written back unchanged: every field the server sends has a place in the one
//! definition (src/wire/image_edit.rs), so the two sides cannot drift apart unnoticed.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use imgedit::wire::image_edit::{ImageEditError, ImageEditResponse};

use crate::common::{Sandbox, browser_body, edit_url, photo, post, serve, titan_mask};

/// `v` read as `T` and written back is `v` again.
fn round_trips<T: DeserializeOwned + Serialize>(v: &Value) -> T {
    let typed: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), v);
    typed
}

#[test]
fn the_servers_answers_are_the_wire_structs() {
    let sb = Sandbox::new();
    let api = serve(&sb, &["--no-auth", "--no-log"], &[]);
    let (_, jpeg) = photo(64, 64);
    let mask = titan_mask(64, 64, 8, 8, 20, 20);
    let mut body = browser_body("a lake", "INPAINTING", &jpeg, Some(&mask));
    body["num_images"] = json!(2);
    body["seed"] = json!(5);

    let ok = post(&edit_url(&api), None, &body);
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let answer: ImageEditResponse = round_trips(&ok.json());
    assert_eq!(answer.images.as_ref().map(Vec::len), Some(2));
    assert_eq!(answer.seeds, Some(vec![Some(5), Some(6)]));
    assert!(!answer.is_original());

    // a field the contract does not have, a value of the wrong type, a broken model rule
    for (key, value, field) in [
        ("colour", json!("red"), "colour"),
        ("seed", json!(-1), "seed"),
        ("num_images", json!(20), "num_images"),
    ] {
        let mut bad = body.clone();
        bad[key] = value;
        let a = post(&edit_url(&api), None, &bad);
        assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(&a.body));
        let e: ImageEditError = round_trips(&a.json());
        assert_eq!(e.field.as_deref(), Some(field));
        assert!(e.text().is_some_and(|t| t.starts_with(field)), "{e:?}");
        assert!(e.request_id.is_some());
        // the model's rule comes as data too
        assert_eq!(e.violation.is_some(), key == "num_images", "{e:?}");
    }
}
