<?php
// The sidecar is not there (not installed, not running, restarting): the
// proxy answers 503 SENDTRACE_ERR_NOT_READY, which the page retries by itself.
class Modules_Sendtrace_SidecarUnavailable extends RuntimeException
{
}
