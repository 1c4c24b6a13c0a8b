<?php
// The rows of the admin's Service tab (ServerController), as [label key, value].
$rows = Modules_Sendtrace_ServerStatus::rows(new Modules_Sendtrace_Service(), function ($key, $params = []) {
    return $params ? $key . ':' . json_encode($params) : $key;
});
echo json_encode($rows, JSON_UNESCAPED_SLASHES);
