#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| imgedit_fuzz::bedrock_request(data));
