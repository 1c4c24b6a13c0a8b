<?php
// Passes everything to another sink and remembers whether the answer has
// begun (after that, a failure can only cut it short, not replace it).
class Modules_Sendtrace_StartedSink implements Modules_Sendtrace_Sink
{
    private $inner;
    private $started = false;

    public function __construct(Modules_Sendtrace_Sink $inner)
    {
        $this->inner = $inner;
    }

    public function started()
    {
        return $this->started;
    }

    public function status($code)
    {
        $this->started = true;
        $this->inner->status($code);
    }

    public function header($name, $value)
    {
        $this->inner->header($name, $value);
    }

    public function body($chunk)
    {
        return $this->inner->body($chunk);
    }

    public function end()
    {
        $this->inner->end();
    }
}
