<?php
// Before Plesk removes the extension (reference/plesk.md §4.6 [V]): stops and
// removes the service, moves the state (quarantined files, audit log) out of
// the extension's folders and says where it went.
require __DIR__ . '/_load.php';
exit(Modules_Sendtrace_Lifecycle::preUninstall(function ($line) {
    echo $line, "\n";
}));
