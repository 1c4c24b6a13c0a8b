<?php
// The sidecar in Tools & Settings → Services Management (reference/plesk.md §5.6 [V stubs]).
class Modules_Sendtrace_SystemServices extends pm_Hook_SystemServices
{
    public function getServices()
    {
        return [new Modules_Sendtrace_Service()];
    }
}
