# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_imgedit_global_optspecs
    string join \n v/verbose log-file= h/help V/version
end

function __fish_imgedit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_imgedit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_imgedit_using_subcommand
    set -l cmd (__fish_imgedit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c imgedit -n "__fish_imgedit_needs_command" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_needs_command" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_needs_command" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_needs_command" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "edit" -d 'Inpaint or outpaint one image, several, or a directory'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "mask" -d 'Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "tui" -d 'Open the interactive editor (select, run, compare, keep, undo)'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "serve" -d 'Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "login" -d 'Sign in to the Cognito user pool of the /image-edit API'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "logout" -d 'Sign out: forget the cached tokens (and revoke them, or sign out everywhere)'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "whoami" -d 'Show who is signed in, for which pool, and until when'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "history" -d 'List past edits from the request log, with a summary'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "config" -d 'Show, locate or create the configuration file'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c imgedit -n "__fish_imgedit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l mask -d 'Mask file: white (or transparent, if it has alpha) = change, grey = partly' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l rect -d 'Rectangle to change, in pixels from the top-left corner (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l polygon -d 'Polygon to change, 3+ vertices, non-zero winding rule (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l ellipse -d 'Ellipse to change: centre and radii (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l object -d 'Object inside a rectangle around it, found by its colours and edges (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l wand -d 'Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l grow -d 'Grow the selection by PX pixels' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l shrink -d 'Shrink the selection by PX pixels' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l feather -d 'Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l mask-dir -d 'For batches: a directory of masks matched to images by file stem' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l save-mask -d 'Write the final mask (white = change) to FILE' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l mode -d 'What to do [default: inpaint, or outpaint with --extend/--canvas]' -r -f -a "inpaint\t'Regenerate the selected pixels'
outpaint\t'Extend the canvas; a thin band of the original may be blended at the seam'
precise-outpaint\t'Extend the canvas; every original pixel stays untouched'
erase\t'Remove the selected object (Stability erase-object; the local engine\'s inpainting)'
replace\t'Replace what `--search` names with `--prompt` (Stability search-and-replace)'
recolor\t'Recolour what `--select` names as `--prompt` says (Stability search-and-recolor)'
remove-background\t'Cut the subject out: the background becomes transparent (Stability remove-background)'
upscale\t'Enlarge the whole image with `--upscaler` (Stability fast, conservative or creative)'"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l extend -d 'Outpaint: add borders L,T,R,B (or one value for all), in pixels or percent like 25%' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l canvas -d 'Outpaint: the new canvas size' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l anchor -d 'Outpaint: where the original sits on --canvas' -r -f -a "center\t''
top-left\t''
top\t''
top-right\t''
left\t''
right\t''
bottom-left\t''
bottom\t''
bottom-right\t''"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s p -l prompt -d 'What to generate (ignored by the local engine)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l negative -d 'What to avoid (ignored by the local engine)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s n -l num-images -d 'Number of results; each gets its own seed (seed, seed+1, ...)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l seed -d 'Seed of the first result [default: random, reported in the output]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l cfg-scale -d 'Prompt strength for the cloud models' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l quality -d 'Image quality (Titan, Nova Canvas)' -r -f -a "standard\t''
premium\t''"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l mask-prompt -d 'Let the model find the region to change from text, e.g. "the dog" (Stability search-and-replace; Titan, Nova Canvas)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l search -d 'With --mode replace: what to replace (Stability search-and-replace)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l grow-mask -d 'Stability: grow the mask outward by PX pixels and blur that band, 0-20 [default: 5, the tool\'s own]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l select -d 'With --mode recolor: what to recolour, e.g. "the jacket" (Stability search-and-recolor)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l upscaler -d 'With --mode upscale: which Stability upscaler [default: fast]' -r -f -a "fast\t'4x, quick; inputs 32..1536 px a side (Stability Fast Upscale)'
conservative\t'Up to 4K, keeping every detail (Stability Conservative Upscale)'
creative\t'Up to 4K from small or degraded images, re-imagining detail (Stability Creative Upscale)'"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l style-preset -d 'Stability: a style preset (3d-model, analog-film, anime, cinematic, comic-book, digital-art, enhance, fantasy-art, isometric, line-art, low-poly, modeling-compound, neon-punk, origami, photographic, pixel-art, tile-texture)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l creativity -d 'Stability: how much new detail outpainting (0.1-1.0) or the conservative/creative upscaler (0.1-0.5) invents' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l engine -d 'Engine [default: from the config, else local]' -r -f -a "local\t'The embedded classical engine: offline, no account, prompts ignored'
bedrock\t'Amazon Bedrock InvokeModel (Titan, Nova Canvas, Stability)'
api\t'A team\'s `/image-edit` HTTP API, authenticated with Cognito'"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l model -d 'Model id for the engine, e.g. us.stability.stable-image-inpaint-v1:0 (bare stability.* ids work too) [default: from the config, else the living model for the mode]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l model-family -d 'How to talk to a model id imgedit does not know' -r -f -a "titan\t''
nova-canvas\t''
stability-inpaint\t''
stability-outpaint\t''
stability-erase\t''
stability-search-replace\t''
stability-search-recolor\t''
stability-remove-background\t''
stability-fast-upscale\t''
stability-conservative-upscale\t''
stability-creative-upscale\t''"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l region -d 'AWS region for Bedrock [default: the config, then the AWS chain]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l api-url -d 'The /image-edit API\'s invoke URL, for --engine api [default: api_url in the config]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l token -d 'Cognito ID token for --engine api instead of the one imgedit login cached' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l profile -d 'AWS profile for Bedrock [default: the config, then the AWS chain]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s o -l output -d 'Output file (format from the extension; "-" writes PNG to stdout). With -n > 1: OUT-1.png, OUT-2.png, ...' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l output-format -d 'Format a Stability tool returns (its output_format) [default: the -o file\'s, else png]' -r -f -a "png\t''
jpeg\t''
webp\t''"
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l output-dir -d 'Directory for outputs (batches); names are STEM-edit-N.png' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l jpeg-quality -d 'Quality of JPEG output files, 1-100 [default: 95]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s j -l jobs -d 'Batches: items in flight at most; throttling answers lower it, successes raise it back [default: 4 for bedrock and api, 2 for local]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l max-rate -d 'Batches: calls to the service per second at most (a known quota), e.g. 2 or 0.5' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l invert-mask -d 'Change what is NOT selected'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l fit-mask -d 'Scale a mask whose size differs from the image instead of failing'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l force -d 'Overwrite existing output files'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l json -d 'Print one JSON object per output on stdout (messages stay on stderr)'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l dry-run -d 'Validate everything and print what would be done; write nothing'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s q -l quiet -d 'No progress bar or notes on stderr (errors are still printed)'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -l resume -d 'Batches: finish the batch whose journal (imgedit-batch.jsonl) is in --output-dir: skip what is done, redo the rest; refused when the flags differ'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imgedit -n "__fish_imgedit_using_subcommand edit" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l mask -d 'Mask file: white (or transparent, if it has alpha) = change, grey = partly' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l rect -d 'Rectangle to change, in pixels from the top-left corner (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l polygon -d 'Polygon to change, 3+ vertices, non-zero winding rule (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l ellipse -d 'Ellipse to change: centre and radii (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l object -d 'Object inside a rectangle around it, found by its colours and edges (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l wand -d 'Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l grow -d 'Grow the selection by PX pixels' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l shrink -d 'Shrink the selection by PX pixels' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l feather -d 'Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -s o -l output -d 'The mask file to write (PNG; white = change, the mask `edit` would use)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l invert-mask -d 'Change what is NOT selected'
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l fit-mask -d 'Scale a mask whose size differs from the image instead of failing'
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -l force -d 'Overwrite an existing output file'
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand mask" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -l mask -d 'Mask file to start from (white, or transparent where it has alpha, = change)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -l engine -d 'Engine [default: from the config, else local]' -r -f -a "local\t'The embedded classical engine: offline, no account, prompts ignored'
bedrock\t'Amazon Bedrock InvokeModel (Titan, Nova Canvas, Stability)'
api\t'A team\'s `/image-edit` HTTP API, authenticated with Cognito'"
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -l model -d 'Model id for the engine [default: from the config]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -l graphics -d 'Graphics protocol for images' -r -f -a "auto\t'Ask the terminal which protocol it speaks'
kitty\t''
sixel\t''
iterm2\t''
halfblocks\t'Unicode half blocks: works everywhere, coarse'"
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -l fresh -d 'Start with the defaults: ignore the settings remembered from the last session (engine, model, brush, mode, prompts, recent images)'
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imgedit -n "__fish_imgedit_using_subcommand tui" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l listen -d 'Address to listen on (port 0 picks a free port)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l fault -d 'Testing: inject faults into the Bedrock-compatible endpoint and /image-edit: throttle=N, error500=N, unavailable=N, filter=N, malformed=N, bad-base64=N, drop=N, delay-ms=MS, legacy=MODEL_ID, access-denied=N, inference-error=N (repeatable; local servers only: needs --bedrock or --no-auth, refused with --lambda)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l engine -d 'Engine behind /image-edit [default: from the config, else local]' -r -f -a "local\t'The embedded classical engine: offline, no account, prompts ignored'
bedrock\t'Amazon Bedrock InvokeModel (Titan, Nova Canvas, Stability)'
api\t'A team\'s `/image-edit` HTTP API, authenticated with Cognito'"
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l model -d 'Model that "titan" maps to [default: local for the local engine, us.stability.stable-image-inpaint-v1:0 for bedrock]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l region -d 'AWS region for Bedrock and DynamoDB [default: the config, then the AWS chain]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l profile -d 'AWS profile for Bedrock and DynamoDB [default: the config, then the AWS chain]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l user-pool-id -d 'Cognito user pool whose tokens are accepted [default: cognito.user_pool_id in the config]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l client-id -d 'App client id whose tokens are accepted (repeatable) [default: cognito.client_id in the config]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l jwks-url -d 'Where to fetch the pool\'s signing keys [default: the pool\'s Cognito JWKS URL]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l table -d 'Request log in this DynamoDB table instead of the local history file' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l cors-origin -d 'Origin allowed to call the API from a browser (repeatable; * = any)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l max-body-bytes -d 'Largest request body, in bytes (AWS Lambda\'s limit is 6 MB)' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l max-concurrent -d 'Edits (with --bedrock: invocations) run at once; beyond it requests get 503 with Retry-After [default: the number of CPUs]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l max-connections -d 'Open connections at once; beyond it a new connection gets 503 and is closed' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l header-timeout -d 'Seconds a client has to send a request\'s headers; also how long an idle kept-alive connection stays open' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l body-timeout -d 'Seconds a client has to send a whole request body' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l write-timeout -d 'Seconds an answer may wait on a client that does not read it before the connection is dropped' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l bedrock -d 'Serve only POST /model/{modelId}/invoke in Bedrock\'s wire format, answered by the local engine (no /image-edit, no authentication)'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l fault-control -d 'Testing: also mount POST /__imgedit/faults, which replaces the faults at run time (same rules as --fault)'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l no-auth -d 'Accept requests without a token (local use only; prints a warning)'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l create-table -d 'Create the DynamoDB table (--table) if it does not exist'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l no-log -d 'Keep no request log'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -l lambda -d 'Run as an AWS Lambda function behind API Gateway (builds with the `lambda` feature)'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imgedit -n "__fish_imgedit_using_subcommand serve" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -s u -l username -d 'User name (or an alias the pool accepts, such as the e-mail address) [default: asked]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l auth-flow -d 'srp: the password never leaves this machine; password: USER_PASSWORD_AUTH' -r -f -a "srp\t'USER_SRP_AUTH: the password never leaves this machine'
password\t'USER_PASSWORD_AUTH: the password is sent to Cognito over TLS'"
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l profile -d 'Name of the token cache, for several accounts' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l mfa-code -d 'The code of the second factor (authenticator app, SMS or e-mail) for scripts [default: asked, or the next stdin line]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l mfa-device-name -d 'Setting up an authenticator app: the name Cognito registers it under' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l password-stdin -d 'Read the password (then any challenge answers, one per line) from stdin'
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -l no-qr -d 'Setting up an authenticator app: show the secret and the otpauth URI as text, without the QR code (also when stdout is not a terminal)'
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imgedit -n "__fish_imgedit_using_subcommand login" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand logout" -l profile -d 'Name of the token cache' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand logout" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand logout" -l everywhere -d 'Sign out of every device (GlobalSignOut), not only this one'
complete -c imgedit -n "__fish_imgedit_using_subcommand logout" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand logout" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand logout" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand whoami" -l profile -d 'Name of the token cache' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand whoami" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand whoami" -l json -d 'Print as JSON'
complete -c imgedit -n "__fish_imgedit_using_subcommand whoami" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -l last -d 'Show only the last N edits' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -l table -d 'Read the DynamoDB request log table (the /image-edit API\'s, e.g. ImageGenerationTable) instead of the local log' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -l region -d 'AWS region of the table [default: the config, then the AWS chain]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -l profile -d 'AWS profile for the table [default: the config, then the AWS chain]' -r
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -l json -d 'Print the records and the summary as JSON'
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand history" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -f -a "path" -d 'Print the configuration file\'s path'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -f -a "show" -d 'Print the effective configuration (file, then environment)'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -f -a "init" -d 'Write a commented configuration file'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -f -a "import" -d 'Read the Cognito pool, app client, region and API URL from the browser client\'s config.js'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and not __fish_seen_subcommand_from path show init import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from path" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from show" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from init" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from init" -l force -d 'Replace an existing file'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from import" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from import" -l force -d 'Update an existing configuration file (a copy is kept as config.toml.bak; comments are not kept)'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the configuration file\'s path'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the effective configuration (file, then environment)'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a commented configuration file'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "import" -d 'Read the Cognito pool, app client, region and API URL from the browser client\'s config.js'
complete -c imgedit -n "__fish_imgedit_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imgedit -n "__fish_imgedit_using_subcommand completions" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand completions" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand completions" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand man" -l log-file -d 'Append log lines to this file instead of stderr (needed with the TUI)' -r -F
complete -c imgedit -n "__fish_imgedit_using_subcommand man" -s v -l verbose -d 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK\'s and HTTP client\'s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged'
complete -c imgedit -n "__fish_imgedit_using_subcommand man" -s h -l help -d 'Print help'
complete -c imgedit -n "__fish_imgedit_using_subcommand man" -s V -l version -d 'Print version'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "edit" -d 'Inpaint or outpaint one image, several, or a directory'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "mask" -d 'Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "tui" -d 'Open the interactive editor (select, run, compare, keep, undo)'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "serve" -d 'Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "login" -d 'Sign in to the Cognito user pool of the /image-edit API'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "logout" -d 'Sign out: forget the cached tokens (and revoke them, or sign out everywhere)'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "whoami" -d 'Show who is signed in, for which pool, and until when'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "history" -d 'List past edits from the request log, with a summary'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "config" -d 'Show, locate or create the configuration file'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and not __fish_seen_subcommand_from edit mask tui serve login logout whoami history config completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the configuration file\'s path'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the effective configuration (file, then environment)'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Write a commented configuration file'
complete -c imgedit -n "__fish_imgedit_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "import" -d 'Read the Cognito pool, app client, region and API URL from the browser client\'s config.js'
