// The three SPP application IDs. Apart from the catalog so that code which only needs to tell
// Windows from Office does not load every product row.

export const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
export const OFFICE2010_APP_ID = '59a52881-a989-479d-af46-f275c6370663';
/** Office 2013, 2016, 2019, LTSC 2021 and LTSC 2024 share one SPP application. */
export const OFFICE_APP_ID = '0ff1ce15-a989-479d-af46-f275c6370663';
