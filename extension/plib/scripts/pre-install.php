<?php
// Runs before any file is copied (reference/plesk.md §4.6 [V]); exit 1 refuses
// the install (§5.3 [V]). Refuses when no Node.js 20+ is there to run the service.
require __DIR__ . '/_load.php';
exit(Modules_Sendtrace_Lifecycle::preInstall(function ($line) {
    echo $line, "\n";
}));
