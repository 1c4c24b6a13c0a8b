<?php
// The browser, through PHP's own output: status, headers, then each piece of
// the body flushed as it comes (an event stream must not wait in a buffer).
class Modules_Sendtrace_PhpSink implements Modules_Sendtrace_Sink
{
    public function __construct()
    {
        // Plesk's MVC buffers an action's output (Zend); a stream needs it gone. Nothing has
        // been printed by this request, so the buffers are dropped, not sent.
        while (ob_get_level() > 0) {
            ob_end_clean();
        }
        @ini_set('zlib.output_compression', '0');
        @ini_set('output_buffering', '0');
        ignore_user_abort(false);
    }

    public function status($code)
    {
        http_response_code((int) $code);
    }

    public function header($name, $value)
    {
        // header() itself refuses CR/LF; the names are ours.
        header($name . ': ' . $value, true);
    }

    public function body($chunk)
    {
        echo $chunk;
        flush();
        return connection_aborted() === 0;
    }

    public function end()
    {
        flush();
    }
}
