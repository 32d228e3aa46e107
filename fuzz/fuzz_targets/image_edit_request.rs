#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| imgedit_fuzz::image_edit_request(data));
