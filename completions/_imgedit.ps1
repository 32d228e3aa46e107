
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'imgedit' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'imgedit'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'imgedit' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Inpaint or outpaint one image, several, or a directory')
            [CompletionResult]::new('mask', 'mask', [CompletionResultType]::ParameterValue, 'Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG')
            [CompletionResult]::new('tui', 'tui', [CompletionResultType]::ParameterValue, 'Open the interactive editor (select, run, compare, keep, undo)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to the Cognito user pool of the /image-edit API')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Sign out: forget the cached tokens (and revoke them, or sign out everywhere)')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who is signed in, for which pool, and until when')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List past edits from the request log, with a summary')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show, locate or create the configuration file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'imgedit;edit' {
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Mask file: white (or transparent, if it has alpha) = change, grey = partly')
            [CompletionResult]::new('--rect', '--rect', [CompletionResultType]::ParameterName, 'Rectangle to change, in pixels from the top-left corner (repeatable)')
            [CompletionResult]::new('--polygon', '--polygon', [CompletionResultType]::ParameterName, 'Polygon to change, 3+ vertices, non-zero winding rule (repeatable)')
            [CompletionResult]::new('--ellipse', '--ellipse', [CompletionResultType]::ParameterName, 'Ellipse to change: centre and radii (repeatable)')
            [CompletionResult]::new('--object', '--object', [CompletionResultType]::ParameterName, 'Object inside a rectangle around it, found by its colours and edges (repeatable)')
            [CompletionResult]::new('--wand', '--wand', [CompletionResultType]::ParameterName, 'Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)')
            [CompletionResult]::new('--grow', '--grow', [CompletionResultType]::ParameterName, 'Grow the selection by PX pixels')
            [CompletionResult]::new('--shrink', '--shrink', [CompletionResultType]::ParameterName, 'Shrink the selection by PX pixels')
            [CompletionResult]::new('--feather', '--feather', [CompletionResultType]::ParameterName, 'Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]')
            [CompletionResult]::new('--mask-dir', '--mask-dir', [CompletionResultType]::ParameterName, 'For batches: a directory of masks matched to images by file stem')
            [CompletionResult]::new('--save-mask', '--save-mask', [CompletionResultType]::ParameterName, 'Write the final mask (white = change) to FILE')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'What to do [default: inpaint, or outpaint with --extend/--canvas]')
            [CompletionResult]::new('--extend', '--extend', [CompletionResultType]::ParameterName, 'Outpaint: add borders L,T,R,B (or one value for all), in pixels or percent like 25%')
            [CompletionResult]::new('--canvas', '--canvas', [CompletionResultType]::ParameterName, 'Outpaint: the new canvas size')
            [CompletionResult]::new('--anchor', '--anchor', [CompletionResultType]::ParameterName, 'Outpaint: where the original sits on --canvas')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'What to generate (ignored by the local engine)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'What to generate (ignored by the local engine)')
            [CompletionResult]::new('--negative', '--negative', [CompletionResultType]::ParameterName, 'What to avoid (ignored by the local engine)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Number of results; each gets its own seed (seed, seed+1, ...)')
            [CompletionResult]::new('--num-images', '--num-images', [CompletionResultType]::ParameterName, 'Number of results; each gets its own seed (seed, seed+1, ...)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the first result [default: random, reported in the output]')
            [CompletionResult]::new('--cfg-scale', '--cfg-scale', [CompletionResultType]::ParameterName, 'Prompt strength for the cloud models')
            [CompletionResult]::new('--quality', '--quality', [CompletionResultType]::ParameterName, 'Image quality (Titan, Nova Canvas)')
            [CompletionResult]::new('--mask-prompt', '--mask-prompt', [CompletionResultType]::ParameterName, 'Let the model find the region to change from text, e.g. "the dog" (Stability search-and-replace; Titan, Nova Canvas)')
            [CompletionResult]::new('--search', '--search', [CompletionResultType]::ParameterName, 'With --mode replace: what to replace (Stability search-and-replace)')
            [CompletionResult]::new('--grow-mask', '--grow-mask', [CompletionResultType]::ParameterName, 'Stability: grow the mask outward by PX pixels and blur that band, 0-20 [default: 5, the tool''s own]')
            [CompletionResult]::new('--select', '--select', [CompletionResultType]::ParameterName, 'With --mode recolor: what to recolour, e.g. "the jacket" (Stability search-and-recolor)')
            [CompletionResult]::new('--upscaler', '--upscaler', [CompletionResultType]::ParameterName, 'With --mode upscale: which Stability upscaler [default: fast]')
            [CompletionResult]::new('--style-preset', '--style-preset', [CompletionResultType]::ParameterName, 'Stability: a style preset (3d-model, analog-film, anime, cinematic, comic-book, digital-art, enhance, fantasy-art, isometric, line-art, low-poly, modeling-compound, neon-punk, origami, photographic, pixel-art, tile-texture)')
            [CompletionResult]::new('--creativity', '--creativity', [CompletionResultType]::ParameterName, 'Stability: how much new detail outpainting (0.1-1.0) or the conservative/creative upscaler (0.1-0.5) invents')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Engine [default: from the config, else local]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model id for the engine, e.g. us.stability.stable-image-inpaint-v1:0 (bare stability.* ids work too) [default: from the config, else the living model for the mode]')
            [CompletionResult]::new('--model-family', '--model-family', [CompletionResultType]::ParameterName, 'How to talk to a model id imgedit does not know')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region for Bedrock [default: the config, then the AWS chain]')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'The /image-edit API''s invoke URL, for --engine api [default: api_url in the config]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Cognito ID token for --engine api instead of the one imgedit login cached')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile for Bedrock [default: the config, then the AWS chain]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output file (format from the extension; "-" writes PNG to stdout). With -n > 1: OUT-1.png, OUT-2.png, ...')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output file (format from the extension; "-" writes PNG to stdout). With -n > 1: OUT-1.png, OUT-2.png, ...')
            [CompletionResult]::new('--output-format', '--output-format', [CompletionResultType]::ParameterName, 'Format a Stability tool returns (its output_format) [default: the -o file''s, else png]')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Directory for outputs (batches); names are STEM-edit-N.png')
            [CompletionResult]::new('--jpeg-quality', '--jpeg-quality', [CompletionResultType]::ParameterName, 'Quality of JPEG output files, 1-100 [default: 95]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Batches: items in flight at most; throttling answers lower it, successes raise it back [default: 4 for bedrock and api, 2 for local]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Batches: items in flight at most; throttling answers lower it, successes raise it back [default: 4 for bedrock and api, 2 for local]')
            [CompletionResult]::new('--max-rate', '--max-rate', [CompletionResultType]::ParameterName, 'Batches: calls to the service per second at most (a known quota), e.g. 2 or 0.5')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--invert-mask', '--invert-mask', [CompletionResultType]::ParameterName, 'Change what is NOT selected')
            [CompletionResult]::new('--fit-mask', '--fit-mask', [CompletionResultType]::ParameterName, 'Scale a mask whose size differs from the image instead of failing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite existing output files')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per output on stdout (messages stay on stderr)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate everything and print what would be done; write nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar or notes on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar or notes on stderr (errors are still printed)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Batches: finish the batch whose journal (imgedit-batch.jsonl) is in --output-dir: skip what is done, redo the rest; refused when the flags differ')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;mask' {
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Mask file: white (or transparent, if it has alpha) = change, grey = partly')
            [CompletionResult]::new('--rect', '--rect', [CompletionResultType]::ParameterName, 'Rectangle to change, in pixels from the top-left corner (repeatable)')
            [CompletionResult]::new('--polygon', '--polygon', [CompletionResultType]::ParameterName, 'Polygon to change, 3+ vertices, non-zero winding rule (repeatable)')
            [CompletionResult]::new('--ellipse', '--ellipse', [CompletionResultType]::ParameterName, 'Ellipse to change: centre and radii (repeatable)')
            [CompletionResult]::new('--object', '--object', [CompletionResultType]::ParameterName, 'Object inside a rectangle around it, found by its colours and edges (repeatable)')
            [CompletionResult]::new('--wand', '--wand', [CompletionResultType]::ParameterName, 'Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)')
            [CompletionResult]::new('--grow', '--grow', [CompletionResultType]::ParameterName, 'Grow the selection by PX pixels')
            [CompletionResult]::new('--shrink', '--shrink', [CompletionResultType]::ParameterName, 'Shrink the selection by PX pixels')
            [CompletionResult]::new('--feather', '--feather', [CompletionResultType]::ParameterName, 'Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The mask file to write (PNG; white = change, the mask `edit` would use)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The mask file to write (PNG; white = change, the mask `edit` would use)')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--invert-mask', '--invert-mask', [CompletionResultType]::ParameterName, 'Change what is NOT selected')
            [CompletionResult]::new('--fit-mask', '--fit-mask', [CompletionResultType]::ParameterName, 'Scale a mask whose size differs from the image instead of failing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing output file')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;tui' {
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Mask file to start from (white, or transparent where it has alpha, = change)')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Engine [default: from the config, else local]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model id for the engine [default: from the config]')
            [CompletionResult]::new('--graphics', '--graphics', [CompletionResultType]::ParameterName, 'Graphics protocol for images')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--fresh', '--fresh', [CompletionResultType]::ParameterName, 'Start with the defaults: ignore the settings remembered from the last session (engine, model, brush, mode, prompts, recent images)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port)')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'Testing: inject faults into the Bedrock-compatible endpoint and /image-edit: throttle=N, error500=N, unavailable=N, filter=N, malformed=N, bad-base64=N, drop=N, delay-ms=MS, legacy=MODEL_ID, access-denied=N, inference-error=N (repeatable; local servers only: needs --bedrock or --no-auth, refused with --lambda)')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Engine behind /image-edit [default: from the config, else local]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model that "titan" maps to [default: local for the local engine, us.stability.stable-image-inpaint-v1:0 for bedrock]')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region for Bedrock and DynamoDB [default: the config, then the AWS chain]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile for Bedrock and DynamoDB [default: the config, then the AWS chain]')
            [CompletionResult]::new('--user-pool-id', '--user-pool-id', [CompletionResultType]::ParameterName, 'Cognito user pool whose tokens are accepted [default: cognito.user_pool_id in the config]')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'App client id whose tokens are accepted (repeatable) [default: cognito.client_id in the config]')
            [CompletionResult]::new('--jwks-url', '--jwks-url', [CompletionResultType]::ParameterName, 'Where to fetch the pool''s signing keys [default: the pool''s Cognito JWKS URL]')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'Request log in this DynamoDB table instead of the local history file')
            [CompletionResult]::new('--cors-origin', '--cors-origin', [CompletionResultType]::ParameterName, 'Origin allowed to call the API from a browser (repeatable; * = any)')
            [CompletionResult]::new('--max-body-bytes', '--max-body-bytes', [CompletionResultType]::ParameterName, 'Largest request body, in bytes (AWS Lambda''s limit is 6 MB)')
            [CompletionResult]::new('--max-concurrent', '--max-concurrent', [CompletionResultType]::ParameterName, 'Edits (with --bedrock: invocations) run at once; beyond it requests get 503 with Retry-After [default: the number of CPUs]')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Open connections at once; beyond it a new connection gets 503 and is closed')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'Seconds a client has to send a request''s headers; also how long an idle kept-alive connection stays open')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'Seconds a client has to send a whole request body')
            [CompletionResult]::new('--write-timeout', '--write-timeout', [CompletionResultType]::ParameterName, 'Seconds an answer may wait on a client that does not read it before the connection is dropped')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--bedrock', '--bedrock', [CompletionResultType]::ParameterName, 'Serve only POST /model/{modelId}/invoke in Bedrock''s wire format, answered by the local engine (no /image-edit, no authentication)')
            [CompletionResult]::new('--fault-control', '--fault-control', [CompletionResultType]::ParameterName, 'Testing: also mount POST /__imgedit/faults, which replaces the faults at run time (same rules as --fault)')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Accept requests without a token (local use only; prints a warning)')
            [CompletionResult]::new('--create-table', '--create-table', [CompletionResultType]::ParameterName, 'Create the DynamoDB table (--table) if it does not exist')
            [CompletionResult]::new('--no-log', '--no-log', [CompletionResultType]::ParameterName, 'Keep no request log')
            [CompletionResult]::new('--lambda', '--lambda', [CompletionResultType]::ParameterName, 'Run as an AWS Lambda function behind API Gateway (builds with the `lambda` feature)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;login' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name (or an alias the pool accepts, such as the e-mail address) [default: asked]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name (or an alias the pool accepts, such as the e-mail address) [default: asked]')
            [CompletionResult]::new('--auth-flow', '--auth-flow', [CompletionResultType]::ParameterName, 'srp: the password never leaves this machine; password: USER_PASSWORD_AUTH')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Name of the token cache, for several accounts')
            [CompletionResult]::new('--mfa-code', '--mfa-code', [CompletionResultType]::ParameterName, 'The code of the second factor (authenticator app, SMS or e-mail) for scripts [default: asked, or the next stdin line]')
            [CompletionResult]::new('--mfa-device-name', '--mfa-device-name', [CompletionResultType]::ParameterName, 'Setting up an authenticator app: the name Cognito registers it under')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password (then any challenge answers, one per line) from stdin')
            [CompletionResult]::new('--no-qr', '--no-qr', [CompletionResultType]::ParameterName, 'Setting up an authenticator app: show the secret and the otpauth URI as text, without the QR code (also when stdout is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;logout' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Name of the token cache')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--everywhere', '--everywhere', [CompletionResultType]::ParameterName, 'Sign out of every device (GlobalSignOut), not only this one')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;whoami' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Name of the token cache')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;history' {
            [CompletionResult]::new('--last', '--last', [CompletionResultType]::ParameterName, 'Show only the last N edits')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'Read the DynamoDB request log table (the /image-edit API''s, e.g. ImageGenerationTable) instead of the local log')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region of the table [default: the config, then the AWS chain]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile for the table [default: the config, then the AWS chain]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the records and the summary as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;config' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the configuration file''s path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration (file, then environment)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented configuration file')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Read the Cognito pool, app client, region and API URL from the browser client''s config.js')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'imgedit;config;path' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;config;show' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;config;init' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing file')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;config;import' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Update an existing configuration file (a copy is kept as config.toml.bak; comments are not kept)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the configuration file''s path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration (file, then environment)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented configuration file')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Read the Cognito pool, app client, region and API URL from the browser client''s config.js')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'imgedit;config;help;path' {
            break
        }
        'imgedit;config;help;show' {
            break
        }
        'imgedit;config;help;init' {
            break
        }
        'imgedit;config;help;import' {
            break
        }
        'imgedit;config;help;help' {
            break
        }
        'imgedit;completions' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;man' {
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append log lines to this file instead of stderr (needed with the TUI)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also the AWS SDK''s and HTTP client''s debug lines. IMGEDIT_LOG sets a full filter. Passwords, tokens and keys are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'imgedit;help' {
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Inpaint or outpaint one image, several, or a directory')
            [CompletionResult]::new('mask', 'mask', [CompletionResultType]::ParameterValue, 'Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG')
            [CompletionResult]::new('tui', 'tui', [CompletionResultType]::ParameterValue, 'Open the interactive editor (select, run, compare, keep, undo)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to the Cognito user pool of the /image-edit API')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Sign out: forget the cached tokens (and revoke them, or sign out everywhere)')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who is signed in, for which pool, and until when')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List past edits from the request log, with a summary')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show, locate or create the configuration file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'imgedit;help;edit' {
            break
        }
        'imgedit;help;mask' {
            break
        }
        'imgedit;help;tui' {
            break
        }
        'imgedit;help;serve' {
            break
        }
        'imgedit;help;login' {
            break
        }
        'imgedit;help;logout' {
            break
        }
        'imgedit;help;whoami' {
            break
        }
        'imgedit;help;history' {
            break
        }
        'imgedit;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the configuration file''s path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration (file, then environment)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented configuration file')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Read the Cognito pool, app client, region and API URL from the browser client''s config.js')
            break
        }
        'imgedit;help;config;path' {
            break
        }
        'imgedit;help;config;show' {
            break
        }
        'imgedit;help;config;init' {
            break
        }
        'imgedit;help;config;import' {
            break
        }
        'imgedit;help;completions' {
            break
        }
        'imgedit;help;man' {
            break
        }
        'imgedit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
