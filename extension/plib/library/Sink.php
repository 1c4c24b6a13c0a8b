<?php
// Where a forwarded answer goes: the browser (PhpSink) or, in tests, memory.
interface Modules_Sendtrace_Sink
{
    public function status($code);

    public function header($name, $value);

    /** Returns false when nobody is listening any more (the stream then stops). */
    public function body($chunk);

    public function end();
}
