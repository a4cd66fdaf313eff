import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Process',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.CharField(max_length=32, unique=True, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$', 'A code starts with a letter or digit and uses letters, digits, “_”, “.” and “-” (at most 32).')], verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.department', verbose_name='owner')),
            ],
            options={
                'verbose_name': 'process',
                'verbose_name_plural': 'processes',
                'ordering': ('code',),
            },
        ),
        migrations.CreateModel(
            name='ProcessVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='version')),
                ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='published at')),
                ('process', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='processes.process')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ('process', 'number'),
            },
        ),
        migrations.CreateModel(
            name='Case',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('ref', models.CharField(max_length=64, verbose_name='reference')),
                ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('opened_at', models.DateTimeField(verbose_name='opened at')),
                ('state', models.CharField(choices=[('running', 'Running'), ('on_hold', 'On hold'), ('completed', 'Completed'), ('cancelled', 'Cancelled')], default='running', max_length=16, verbose_name='state')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('held_since', models.DateTimeField(blank=True, null=True, verbose_name='on hold since')),
                ('opened_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('process', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='processes.process')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='processes.processversion')),
            ],
            options={
                'ordering': ('-opened_at', 'pk'),
            },
        ),
        migrations.CreateModel(
            name='Step',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('code', models.CharField(max_length=32, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$', 'A code starts with a letter or digit and uses letters, digits, “_”, “.” and “-” (at most 32).')], verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('inputs', models.JSONField(blank=True, default=list, verbose_name='inputs')),
                ('outputs', models.JSONField(blank=True, default=list, verbose_name='outputs')),
                ('time_limit', models.CharField(help_text='Working time, e.g. 4h, 2d, 1.5d, 30m.', max_length=16, verbose_name='time limit')),
                ('cooperating', models.ManyToManyField(blank=True, related_name='+', to='org.department', verbose_name='cooperating departments')),
                ('responsible', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.department', verbose_name='responsible department')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='processes.processversion')),
            ],
            options={
                'ordering': ('version', 'position'),
            },
        ),
        migrations.CreateModel(
            name='StepRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('started_at', models.DateTimeField(verbose_name='started at')),
                ('due_at', models.DateTimeField(verbose_name='due at')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                ('output_note', models.TextField(blank=True, verbose_name='output')),
                ('warn_at', models.DateTimeField(blank=True, null=True)),
                ('warned_at', models.DateTimeField(blank=True, null=True)),
                ('overdue_notified_at', models.DateTimeField(blank=True, null=True)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='step_runs', to='processes.case')),
                ('responsible', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.department')),
                ('step', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='runs', to='processes.step')),
            ],
            options={
                'ordering': ('case', 'position'),
            },
        ),
        migrations.CreateModel(
            name='CaseEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('kind', models.CharField(choices=[('opened', 'Opened'), ('step_started', 'Step started'), ('step_completed', 'Step completed'), ('assigned', 'Assigned'), ('held', 'Put on hold'), ('resumed', 'Resumed'), ('cancelled', 'Cancelled'), ('completed', 'Completed'), ('step_warned', '75% of the time limit used'), ('step_overdue', 'Step overdue')], max_length=32, verbose_name='kind')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='processes.case')),
                ('step_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='processes.steprun')),
            ],
            options={
                'ordering': ('case', 'at', 'pk'),
            },
        ),
        migrations.AddConstraint(
            model_name='processversion',
            constraint=models.UniqueConstraint(fields=('process', 'number'), name='processes_version_unique_number'),
        ),
        migrations.AddConstraint(
            model_name='processversion',
            constraint=models.UniqueConstraint(condition=models.Q(('published_at__isnull', True)), fields=('process',), name='processes_version_one_draft'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['process', 'opened_at'], name='processes_case_opened_idx'),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(fields=('process', 'ref'), name='processes_case_unique_ref'),
        ),
        migrations.AddConstraint(
            model_name='step',
            constraint=models.UniqueConstraint(fields=('version', 'position'), name='processes_step_unique_position'),
        ),
        migrations.AddConstraint(
            model_name='step',
            constraint=models.UniqueConstraint(fields=('version', 'code'), name='processes_step_unique_code'),
        ),
        migrations.AddIndex(
            model_name='steprun',
            index=models.Index(fields=['responsible', 'completed_at', 'due_at'], name='processes_steprun_queue_idx'),
        ),
        migrations.AddConstraint(
            model_name='steprun',
            constraint=models.UniqueConstraint(fields=('case', 'position'), name='processes_steprun_unique_position'),
        ),
        migrations.AddConstraint(
            model_name='steprun',
            constraint=models.CheckConstraint(condition=models.Q(('completed_at__isnull', True), ('completed_at__gte', models.F('started_at')), _connector='OR'), name='processes_steprun_completed_after_start'),
        ),
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(fields=['case', 'at'], name='processes_caseevent_case_idx'),
        ),
    ]
