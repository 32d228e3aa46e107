
use builtin;
use str;

set edit:completion:arg-completer[imgedit] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'imgedit'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'imgedit'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand edit 'Inpaint or outpaint one image, several, or a directory'
            cand mask 'Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG'
            cand tui 'Open the interactive editor (select, run, compare, keep, undo)'
            cand serve 'Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work'
            cand login 'Sign in to the Cognito user pool of the /image-edit API'
            cand logout 'Sign out: forget the cached tokens (and revoke them, or sign out everywhere)'
            cand whoami 'Show who is signed in, for which pool, and until when'
            cand history 'List past edits from the request log, with a summary'
            cand config 'Show, locate or create the configuration file'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'imgedit;edit'= {
            cand --mask 'Mask file: white (or transparent, if it has alpha) = change, grey = partly'
            cand --rect 'Rectangle to change, in pixels from the top-left corner (repeatable)'
            cand --polygon 'Polygon to change, 3+ vertices, non-zero winding rule (repeatable)'
            cand --ellipse 'Ellipse to change: centre and radii (repeatable)'
            cand --object 'Object inside a rectangle around it, found by its colours and edges (repeatable)'
            cand --wand 'Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)'
            cand --grow 'Grow the selection by PX pixels'
            cand --shrink 'Shrink the selection by PX pixels'
            cand --feather 'Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]'
            cand --mask-dir 'For batches: a directory of masks matched to images by file stem'
            cand --save-mask 'Write the final mask (white = change) to FILE'
            cand --mode 'What to do [default: inpaint, or outpaint with --extend/--canvas]'
            cand --extend 'Outpaint: add borders L,T,R,B (or one value for all), in pixels or percent like 25%'
            cand --canvas 'Outpaint: the new canvas size'
            cand --anchor 'Outpaint: where the original sits on --canvas'
            cand -p 'What to generate (ignored by the local engine)'
            cand --prompt 'What to generate (ignored by the local engine)'
            cand --negative 'What to avoid (ignored by the local engine)'
            cand -n 'Number of results; each gets its own seed (seed, seed+1, ...)'
            cand --num-images 'Number of results; each gets its own seed (seed, seed+1, ...)'
            cand --seed 'Seed of the first result [default: random, reported in the output]'
            cand --cfg-scale 'Prompt strength for the cloud models'
            cand --quality 'Image quality (Titan, Nova Canvas)'
            cand --mask-prompt 'Let the model find the region to change from text, e.g. "the dog" (Stability search-and-replace; Titan, Nova Canvas)'
            cand --search 'With --mode replace: what to replace (Stability search-and-replace)'
            cand --grow-mask 'Stability: grow the mask outward by PX pixels and blur that band, 0-20 [default: 5, the tool''s own]'
            cand --select 'With --mode recolor: what to recolour, e.g. "the jacket" (Stability search-and-recolor)'
            cand --upscaler 'With --mode upscale: which Stability upscaler [default: fast]'
            cand --style-preset 'Stability: a style preset (3d-model, analog-film, anime, cinematic, comic-book, digital-art, enhance, fantasy-art, isometric, line-art, low-poly, modeling-compound, neon-punk, origami, photographic, pixel-art, tile-texture)'
            cand --creativity 'Stability: how much new detail outpainting (0.1-1.0) or the conservative/creative upscaler (0.1-0.5) invents'
            cand --engine 'Engine [default: from the config, else local]'
            cand --model 'Model id for the engine, e.g. us.stability.stable-image-inpaint-v1:0 (bare stability.* ids work too) [default: from the config, else the living model for the mode]'
            cand --model-family 'How to talk to a model id imgedit does not know'
            cand --region 'AWS region for Bedrock [default: the config, then the AWS chain]'
            cand --api-url 'The /image-edit API''s invoke URL, for --engine api [default: api_url in the config]'
            cand --token 'Cognito ID token for --engine api instead of the one imgedit login cached'
            cand --profile 'AWS profile for Bedrock [default: the config, then the AWS chain]'
            cand -o 'Output file (format from the extension; "-" writes PNG to stdout). With -n > 1: OUT-1.png, OUT-2.png, ...'
            cand --output 'Output file (format from the extension; "-" writes PNG to stdout). With -n > 1: OUT-1.png, OUT-2.png, ...'
            cand --output-format 'Format a Stability tool returns (its output_format) [default: the -o file''s, else png]'
            cand --output-dir 'Directory for outputs (batches); names are STEM-edit-N.png'
            cand --jpeg-quality 'Quality of JPEG output files, 1-100 [default: 95]'
            cand -j 'Batches: items in flight at most; throttling answers lower it, successes raise it back [default: 4 for bedrock and api, 2 for local]'
            cand --jobs 'Batches: items in flight at most; throttling answers lower it, successes raise it back [default: 4 for bedrock and api, 2 for local]'
            cand --max-rate 'Batches: calls to the service per second at most (a known quota), e.g. 2 or 0.5'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --invert-mask 'Change what is NOT selected'
            cand --fit-mask 'Scale a mask whose size differs from the image instead of failing'
            cand --force 'Overwrite existing output files'
            cand --json 'Print one JSON object per output on stdout (messages stay on stderr)'
            cand --dry-run 'Validate everything and print what would be done; write nothing'
            cand -q 'No progress bar or notes on stderr (errors are still printed)'
            cand --quiet 'No progress bar or notes on stderr (errors are still printed)'
            cand --resume 'Batches: finish the batch whose journal (imgedit-batch.jsonl) is in --output-dir: skip what is done, redo the rest; refused when the flags differ'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;mask'= {
            cand --mask 'Mask file: white (or transparent, if it has alpha) = change, grey = partly'
            cand --rect 'Rectangle to change, in pixels from the top-left corner (repeatable)'
            cand --polygon 'Polygon to change, 3+ vertices, non-zero winding rule (repeatable)'
            cand --ellipse 'Ellipse to change: centre and radii (repeatable)'
            cand --object 'Object inside a rectangle around it, found by its colours and edges (repeatable)'
            cand --wand 'Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)'
            cand --grow 'Grow the selection by PX pixels'
            cand --shrink 'Shrink the selection by PX pixels'
            cand --feather 'Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]'
            cand -o 'The mask file to write (PNG; white = change, the mask `edit` would use)'
            cand --output 'The mask file to write (PNG; white = change, the mask `edit` would use)'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --invert-mask 'Change what is NOT selected'
            cand --fit-mask 'Scale a mask whose size differs from the image instead of failing'
            cand --force 'Overwrite an existing output file'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;tui'= {
            cand --mask 'Mask file to start from (white, or transparent where it has alpha, = change)'
            cand --engine 'Engine [default: from the config, else local]'
            cand --model 'Model id for the engine [default: from the config]'
            cand --graphics 'Graphics protocol for images'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --fresh 'Start with the defaults: ignore the settings remembered from the last session (engine, model, brush, mode, prompts, recent images)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;serve'= {
            cand --listen 'Address to listen on (port 0 picks a free port)'
            cand --fault 'Testing: inject faults into the Bedrock-compatible endpoint and /image-edit: throttle=N, error500=N, unavailable=N, filter=N, malformed=N, bad-base64=N, drop=N, delay-ms=MS, legacy=MODEL_ID, access-denied=N, inference-error=N (repeatable; local servers only: needs --bedrock or --no-auth, refused with --lambda)'
            cand --engine 'Engine behind /image-edit [default: from the config, else local]'
            cand --model 'Model that "titan" maps to [default: local for the local engine, us.stability.stable-image-inpaint-v1:0 for bedrock]'
            cand --region 'AWS region for Bedrock and DynamoDB [default: the config, then the AWS chain]'
            cand --profile 'AWS profile for Bedrock and DynamoDB [default: the config, then the AWS chain]'
            cand --user-pool-id 'Cognito user pool whose tokens are accepted [default: cognito.user_pool_id in the config]'
            cand --client-id 'App client id whose tokens are accepted (repeatable) [default: cognito.client_id in the config]'
            cand --jwks-url 'Where to fetch the pool''s signing keys [default: the pool''s Cognito JWKS URL]'
            cand --table 'Request log in this DynamoDB table instead of the local history file'
            cand --cors-origin 'Origin allowed to call the API from a browser (repeatable; * = any)'
            cand --max-body-bytes 'Largest request body, in bytes (AWS Lambda''s limit is 6 MB)'
            cand --max-concurrent 'Edits (with --bedrock: invocations) run at once; beyond it requests get 503 with Retry-After [default: the number of CPUs]'
            cand --max-connections 'Open connections at once; beyond it a new connection gets 503 and is closed'
            cand --header-timeout 'Seconds a client has to send a request''s headers; also how long an idle kept-alive connection stays open'
            cand --body-timeout 'Seconds a client has to send a whole request body'
            cand --write-timeout 'Seconds an answer may wait on a client that does not read it before the connection is dropped'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --bedrock 'Serve only POST /model/{modelId}/invoke in Bedrock''s wire format, answered by the local engine (no /image-edit, no authentication)'
            cand --fault-control 'Testing: also mount POST /__imgedit/faults, which replaces the faults at run time (same rules as --fault)'
            cand --no-auth 'Accept requests without a token (local use only; prints a warning)'
            cand --create-table 'Create the DynamoDB table (--table) if it does not exist'
            cand --no-log 'Keep no request log'
            cand --lambda 'Run as an AWS Lambda function behind API Gateway (builds with the `lambda` feature)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;login'= {
            cand -u 'User name (or an alias the pool accepts, such as the e-mail address) [default: asked]'
            cand --username 'User name (or an alias the pool accepts, such as the e-mail address) [default: asked]'
            cand --auth-flow 'srp: the password never leaves this machine; password: USER_PASSWORD_AUTH'
            cand --profile 'Name of the token cache, for several accounts'
            cand --mfa-code 'The code of the second factor (authenticator app, SMS or e-mail) for scripts [default: asked, or the next stdin line]'
            cand --mfa-device-name 'Setting up an authenticator app: the name Cognito registers it under'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --password-stdin 'Read the password (then any challenge answers, one per line) from stdin'
            cand --no-qr 'Setting up an authenticator app: show the secret and the otpauth URI as text, without the QR code (also when stdout is not a terminal)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;logout'= {
            cand --profile 'Name of the token cache'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --everywhere 'Sign out of every device (GlobalSignOut), not only this one'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;whoami'= {
            cand --profile 'Name of the token cache'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --json 'Print as JSON'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;history'= {
            cand --last 'Show only the last N edits'
            cand --table 'Read the DynamoDB request log table (the /image-edit API''s, e.g. ImageGenerationTable) instead of the local log'
            cand --region 'AWS region of the table [default: the config, then the AWS chain]'
            cand --profile 'AWS profile for the table [default: the config, then the AWS chain]'
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --json 'Print the records and the summary as JSON'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;config'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print the configuration file''s path'
            cand show 'Print the effective configuration (file, then environment)'
            cand init 'Write a commented configuration file'
            cand import 'Read the Cognito pool, app client, region and API URL from the browser client''s config.js'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'imgedit;config;path'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;config;show'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;config;init'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --force 'Replace an existing file'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;config;import'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand --force 'Update an existing configuration file (a copy is kept as config.toml.bak; comments are not kept)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;config;help'= {
            cand path 'Print the configuration file''s path'
            cand show 'Print the effective configuration (file, then environment)'
            cand init 'Write a commented configuration file'
            cand import 'Read the Cognito pool, app client, region and API URL from the browser client''s config.js'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'imgedit;config;help;path'= {
        }
        &'imgedit;config;help;show'= {
        }
        &'imgedit;config;help;init'= {
        }
        &'imgedit;config;help;import'= {
        }
        &'imgedit;config;help;help'= {
        }
        &'imgedit;completions'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;man'= {
            cand --log-file 'Append log lines to this file instead of stderr (needed with the TUI)'
            cand -v 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand --verbose 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'imgedit;help'= {
            cand edit 'Inpaint or outpaint one image, several, or a directory'
            cand mask 'Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG'
            cand tui 'Open the interactive editor (select, run, compare, keep, undo)'
            cand serve 'Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work'
            cand login 'Sign in to the Cognito user pool of the /image-edit API'
            cand logout 'Sign out: forget the cached tokens (and revoke them, or sign out everywhere)'
            cand whoami 'Show who is signed in, for which pool, and until when'
            cand history 'List past edits from the request log, with a summary'
            cand config 'Show, locate or create the configuration file'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'imgedit;help;edit'= {
        }
        &'imgedit;help;mask'= {
        }
        &'imgedit;help;tui'= {
        }
        &'imgedit;help;serve'= {
        }
        &'imgedit;help;login'= {
        }
        &'imgedit;help;logout'= {
        }
        &'imgedit;help;whoami'= {
        }
        &'imgedit;help;history'= {
        }
        &'imgedit;help;config'= {
            cand path 'Print the configuration file''s path'
            cand show 'Print the effective configuration (file, then environment)'
            cand init 'Write a commented configuration file'
            cand import 'Read the Cognito pool, app client, region and API URL from the browser client''s config.js'
        }
        &'imgedit;help;config;path'= {
        }
        &'imgedit;help;config;show'= {
        }
        &'imgedit;help;config;init'= {
        }
        &'imgedit;help;config;import'= {
        }
        &'imgedit;help;completions'= {
        }
        &'imgedit;help;man'= {
        }
        &'imgedit;help;help'= {
        }
    ]
    $completions[$command]
}
